package org.disranker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline on a small generic collection: stages, manifests, skipping and resuming. */
class PipelineTest {
  @TempDir Path dir;

  void collection() throws IOException {
    Path ds = dir.resolve("data/mini");
    Files.createDirectories(ds);
    Files.writeString(ds.resolve("corpus.jsonl"),
        "{\"id\": \"d1\", \"text\": \"lift of wings in a slipstream\"}\n"
            + "{\"id\": \"d2\", \"text\": \"heat transfer in plates\"}\n");
    Files.writeString(ds.resolve("queries.tsv"), "1\twing lift\n2\theat plates\n");
    Files.writeString(ds.resolve("qrels.txt"), "1 0 d1 1\n2 0 d2 1\n");
  }

  CliTest.Result pipeline() {
    return CliTest.run("pipeline", "--data", dir.resolve("data").toString(), "--datasets", "mini",
        "--out", dir.resolve("run").toString(), "--results", dir.resolve("R.md").toString(),
        "--stages", "first-stage");
  }

  @Test
  void runsThenSkipsThenRedoesWhenInputsChange() throws IOException {
    collection();
    CliTest.Result first = pipeline();
    assertEquals(0, first.code(), first.err());
    Path stage = dir.resolve("run/first-stage/mini");
    assertTrue(Files.isRegularFile(stage.resolve("manifest.json")));
    assertTrue(Files.isRegularFile(stage.resolve("run.txt")));
    String report = Files.readString(dir.resolve("run/report.md"));
    assertTrue(report.contains("| mini | Lucene BM25 top 1000 | 2 | 1.0000 |"), report);
    assertTrue(Files.readString(dir.resolve("R.md")).contains("<!-- BEGIN pipeline-first-stage"));

    long stamp = Files.getLastModifiedTime(stage.resolve("manifest.json")).toMillis();
    assertEquals(0, pipeline().code());
    assertEquals(stamp, Files.getLastModifiedTime(stage.resolve("manifest.json")).toMillis(),
        "an up-to-date stage is skipped");

    Files.writeString(dir.resolve("data/mini/qrels.txt"), "1 0 d1 1\n2 0 d1 1\n2 0 d2 0\n");
    assertEquals(0, pipeline().code());
    String again = Files.readString(dir.resolve("run/report.md"));
    assertTrue(again.contains("| mini | Lucene BM25 top 1000 | 2 | 0.5000 |"), again);
  }

  @Test
  void aStageKilledMidwayIsRedone() throws IOException {
    collection();
    // What a kill leaves: a partial folder and no finished stage folder.
    Path partial = dir.resolve("run/first-stage/mini.partial");
    Files.createDirectories(partial.resolve("index"));
    Files.writeString(partial.resolve("run.txt"), "1 Q0 d1 1 1.0 half");
    CliTest.Result r = pipeline();
    assertEquals(0, r.code(), r.err());
    assertFalse(Files.exists(partial));
    assertTrue(Files.isRegularFile(dir.resolve("run/first-stage/mini/manifest.json")));
    assertFalse(Files.readString(dir.resolve("run/first-stage/mini/run.txt")).contains("half"));
  }

  @Test
  void unknownStagesAndAMissingConfigAreRefused() throws IOException {
    collection();
    CliTest.Result r = CliTest.run("pipeline", "--data", dir.resolve("data").toString(),
        "--datasets", "mini", "--out", dir.resolve("run").toString(), "--stages", "teleport");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown stage 'teleport'"), r.err());
    CliTest.Result c = CliTest.run("pipeline", "--data", dir.resolve("data").toString(),
        "--datasets", "mini", "--out", dir.resolve("run").toString(), "--stages", "ranking",
        "--config", dir.resolve("nope.json").toString());
    assertEquals(2, c.code());
    assertTrue(c.err().contains("config file not found"), c.err());
  }

  /** Train and test collections with a first stage, a tiny student and a tiny LLM run. */
  Path rankingFixture() throws IOException {
    StringBuilder corpus = new StringBuilder();
    String[] words = "wing lift air drag heat plate flow storm cloud rain jet flight".split(" ");
    for (int i = 0; i < 12; i++) {
      corpus.append("{\"id\": \"d").append(i).append("\", \"title\": \"").append(words[i])
          .append("\", \"text\": \"").append(words[i]).append(' ').append(words[(i + 3) % 12])
          .append(" and ").append(words[(i + 5) % 12]).append("\"}\n");
    }
    for (String c : new String[] {"train", "test"}) {
      Path ds = dir.resolve("data/" + c);
      Files.createDirectories(ds);
      Files.writeString(ds.resolve("corpus.jsonl"), corpus);
      Files.writeString(ds.resolve("queries.tsv"), "1\twing lift\n2\theat plate\n3\tstorm rain\n");
      StringBuilder qrels = new StringBuilder();
      StringBuilder run = new StringBuilder();
      for (int q = 1; q <= 3; q++) {
        for (int d = 0; d < 12; d++) {
          int grade = (d % 4 == q) ? 2 : (d % 3 == 0 ? 1 : 0);
          qrels.append(q).append(" 0 d").append(d).append(' ').append(grade).append('\n');
          run.append(q).append(" Q0 d").append(d).append(' ').append(d + 1).append(' ')
              .append(12 - d).append(" bm25\n");
        }
      }
      Files.writeString(ds.resolve("qrels.txt"), qrels);
      Files.writeString(ds.resolve("run.txt"), run);
    }
    StringBuilder llm = new StringBuilder();
    for (int q = 1; q <= 3; q++) {
      for (int d = 0; d < 12; d++) {
        int doc = (d + 4 * q) % 12;
        llm.append(q).append(" Q0 d").append(doc).append(' ').append(d + 1).append(' ')
            .append(-d).append(" llm\n");
      }
    }
    Files.writeString(dir.resolve("data/llm.run"), llm);
    Path student = dir.resolve("tiny-student");
    org.disranker.model.bert.BertCheckpoint.random(new org.disranker.model.bert.BertConfig(30522,
        32, 2, 2, 64, 128, 2, 1e-12), 5, org.disranker.model.bert.BertCheckpoint.minilmTokenizer())
        .save(student);
    String train = "\"steps\": 30, \"batch\": 2, \"learningRate\": 1e-3";
    Path config = dir.resolve("pipeline.json");
    Files.writeString(config, "{\"train\": \"train\", \"test\": \"test\", \"topK\": 12,"
        + " \"seed\": 1, \"student\": {\"init\": \"" + student + "\", " + train
        + ", \"maxLength\": 48}, \"distill\": {\"teacherRun\": \"llm.run\", \"loss\":"
        + " \"hybrid\", " + train + "}, \"teacher\": {\"size\": \"tiny\", \"clicks\":"
        + " {\"sessions\": 5}, \"cpt\": {\"steps\": 4, \"batch\": 2, \"maxLength\": 32},"
        + " \"sft\": {\"steps\": 4, \"batch\": 2, \"maxLength\": 48}, \"score\": {\"batch\": 4,"
        + " \"maxLength\": 48}, \"withoutCpt\": true}, \"distillTeacher\": {\"loss\": \"margin\","
        + " " + train + "}, \"testLlmRun\": \"llm.run\"}");
    return config;
  }

  @Test
  void rankingStagesKilledMidwayResumeAndFinish() throws Exception {
    Path config = rankingFixture();
    List<String> args = List.of("pipeline", "--data", dir.resolve("data").toString(),
        "--out", dir.resolve("run").toString(), "--stages", "ranking", "--config",
        config.toString(), "--results", dir.resolve("docs/R.md").toString());
    // a real kill: the pipeline in its own JVM, killed once the distillation stage is running
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
        Main.class.getName()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    boolean killed = false;
    StringBuilder seen = new StringBuilder();
    try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
        java.nio.charset.StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        seen.append(line).append('\n');
        if (line.contains("stage student/distill: running")) {
          p.destroyForcibly();
          killed = true;
          break;
        }
      }
    }
    p.waitFor();
    assertTrue(killed, seen.toString());
    assertTrue(Files.isRegularFile(dir.resolve("run/student/finetune/manifest.json")));
    assertFalse(Files.exists(dir.resolve("run/student/distill/manifest.json")),
        "killed before the distillation finished");

    long finetuned = Files.getLastModifiedTime(dir.resolve(
        "run/student/finetune/manifest.json")).toMillis();
    CliTest.Result again = CliTest.run(args.toArray(String[]::new));
    assertEquals(0, again.code(), again.err());
    assertEquals(finetuned, Files.getLastModifiedTime(dir.resolve(
        "run/student/finetune/manifest.json")).toMillis(), "the stage finished before the kill"
        + " is skipped");
    assertTrue(Files.isRegularFile(dir.resolve("run/student/distill/manifest.json")));
    assertFalse(Files.exists(dir.resolve("run/student/distill.partial")));
    for (String stage : List.of("teacher/cpt", "teacher/sft", "teacher/score",
        "teacher/sft-without-cpt", "student/distill-teacher", "rerank/test")) {
      assertTrue(Files.isRegularFile(dir.resolve("run/" + stage + "/manifest.json")), stage);
    }
    String report = Files.readString(dir.resolve("run/report.md"));
    for (String row : List.of("| bm25 |", "| finetuned |", "| teacher (CPT + SFT) |",
        "| teacher without CPT |", "| distilled from the teacher |",
        "| distilled from the LLM run |", "| LLM reranker (evaluation row) |",
        "scores-teacher.png", "loss-students.png")) {
      assertTrue(report.contains(row), row + " in\n" + report);
    }
    for (String png : List.of("scores-teacher.png", "scores-finetuned.png", "loss-students.png",
        "loss-teacher-cpt.png", "loss-teacher-sft.png")) {
      byte[] b = Files.readAllBytes(dir.resolve("run/" + png));
      assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', png);
    }
    // the results file gets the ranking section with its plots copied beside it
    assertTrue(Files.readString(dir.resolve("docs/R.md")).contains(
        "](figures/scores-teacher.png)"));
    assertTrue(Files.size(dir.resolve("docs/figures/scores-teacher.png")) > 1000);
    // a third run finds every stage up to date
    long stamp = Files.getLastModifiedTime(dir.resolve("run/teacher/score/manifest.json"))
        .toMillis();
    assertEquals(0, CliTest.run(args.toArray(String[]::new)).code());
    assertEquals(stamp, Files.getLastModifiedTime(dir.resolve("run/teacher/score/manifest.json"))
        .toMillis());
  }
}
