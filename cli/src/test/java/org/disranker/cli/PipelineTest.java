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
  void aRunOnFewerCollectionsLeavesTheResultsTableWhole() throws IOException {
    collection();
    Path other = dir.resolve("data/mini2");
    Files.createDirectories(other);
    Files.writeString(other.resolve("corpus.jsonl"), "{\"id\": \"e1\", \"text\": \"boundary"
        + " layers\"}\n");
    Files.writeString(other.resolve("queries.tsv"), "7\tboundary layers\n");
    Files.writeString(other.resolve("qrels.txt"), "7 0 e1 1\n");
    Path results = dir.resolve("R.md");
    CliTest.Result both = CliTest.run("pipeline", "--data", dir.resolve("data").toString(),
        "--datasets", "mini,mini2", "--out", dir.resolve("run").toString(), "--results",
        results.toString(), "--stages", "first-stage");
    assertEquals(0, both.code(), both.err());
    String whole = Files.readString(results);
    assertTrue(whole.contains("| mini | ") && whole.contains("| mini2 | "), whole);

    CliTest.Result one = pipeline();
    assertEquals(0, one.code(), one.err());
    assertEquals(whole, Files.readString(results), "the two-collection table is kept");
    assertTrue(Files.readString(dir.resolve("run/report.md")).contains("| mini | "));
    assertFalse(Files.readString(dir.resolve("run/report.md")).contains("| mini2 | "),
        "the run's own report shows what it ran");
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

  /**
   * Train and test collections with a first stage, unlabeled pool queries, a tiny student and a
   * tiny LLM run.
   */
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
      Files.writeString(ds.resolve("corpus.jsonl"), c.equals("test") ? corpus.toString()
          .replace("\"d", "\"t") : corpus);
      Files.writeString(ds.resolve("queries.tsv"), c.equals("test")
          ? "1\twing lift\n2\theat plate\n3\tstorm rain\n"
          : "11\twing drag\n12\theat flow\n13\tcloud rain\n");
      StringBuilder qrels = new StringBuilder();
      StringBuilder run = new StringBuilder();
      String p = c.equals("test") ? "t" : "d";
      for (int q = 1; q <= 3; q++) {
        String qid = c.equals("test") ? "" + q : "1" + q;
        for (int d = 0; d < 12; d++) {
          int grade = (d % 4 == q) ? 2 : (d % 3 == 0 ? 1 : 0);
          qrels.append(qid).append(" 0 ").append(p).append(d).append(' ').append(grade)
              .append('\n');
          run.append(qid).append(" Q0 ").append(p).append(d).append(' ').append(d + 1)
              .append(' ').append(12 - d).append(" bm25\n");
        }
      }
      Files.writeString(ds.resolve("qrels.txt"), qrels);
      Files.writeString(ds.resolve("run.txt"), run);
    }
    // a collection of other queries whose own candidate lists join the second phase, with a
    // recorded run as a second teacher; its lists are the first stage's top 6
    Path extra = dir.resolve("data/extra");
    Files.createDirectories(extra);
    Files.writeString(extra.resolve("corpus.jsonl"), corpus.toString().replace("\"d", "\"e"));
    Files.writeString(extra.resolve("queries.tsv"), "21\tjet air\n22\tplate storm\n");
    StringBuilder extraRun = new StringBuilder();
    StringBuilder recorded = new StringBuilder();
    for (String qid : List.of("21", "22")) {
      for (int d = 0; d < 12; d++) {
        extraRun.append(qid).append(" Q0 e").append(d).append(' ').append(d + 1).append(' ')
            .append(12 - d).append(" bm25\n");
        if (d % 2 == 0) {
          recorded.append(qid).append(" Q0 e").append(d).append(' ').append(d / 2 + 1)
              .append(' ').append(d).append(" rec\n");
        }
      }
    }
    Files.writeString(extra.resolve("run.txt"), extraRun);
    Files.writeString(dir.resolve("data/extra.rec.run"), recorded);
    // unlabeled pool queries; "heat plate" is a test query and must stay out of the pool
    Files.writeString(dir.resolve("data/pool-queries.tsv"), "p1\twing air\np2\tstorm cloud"
        + " rain\np3\tjet flight\np4\theat plate\np5\tlift and drag\n");
    StringBuilder llm = new StringBuilder();
    for (int q = 1; q <= 3; q++) {
      for (int d = 0; d < 12; d++) {
        int doc = (d + 4 * q) % 12;
        llm.append(q).append(" Q0 t").append(doc).append(' ').append(d + 1).append(' ')
            .append(-d).append(" llm\n");
      }
    }
    Files.writeString(dir.resolve("data/llm.run"), llm);
    Path student = dir.resolve("data/tiny-student");
    org.disranker.model.bert.BertCheckpoint.random(new org.disranker.model.bert.BertConfig(30522,
        32, 2, 2, 64, 128, 2, 1e-12), 5, org.disranker.model.bert.BertCheckpoint.minilmTokenizer())
        .save(student);
    Path config = dir.resolve("pipeline.json");
    Files.writeString(config, "{\"train\": \"train\", \"test\": \"test\", \"topK\": 12,"
        + " \"seed\": 1, \"maxLength\": 48,"
        + " \"validation\": {\"dataset\": \"train\", \"topK\": 6, \"every\": 10},"
        + " \"pool\": {\"queries\": [\"pool-queries.tsv\"], \"corpus\": [\"train\"],"
        + " \"exclude\": [\"test\"], \"k\": 4, \"random\": 1},"
        + " \"teachers\": [{\"model\": \"minilm\", \"maxLength\": 32}],"
        + " \"lists\": [{\"name\": \"extra\", \"dataset\": \"extra\", \"topK\": 6,"
        + " \"teachers\": [{\"model\": \"minilm\", \"maxLength\": 32},"
        + " {\"run\": \"extra.rec.run\", \"weight\": 0.5}]}],"
        + " \"student\": {\"init\": \"tiny-student\"},"
        + " \"distill\": [{\"steps\": 20, \"queries\": 2, \"group\": 4, \"learningRate\":"
        + " 1e-3, \"headLearningRate\": 1e-2, \"maxLength\": 32}, {\"steps\": 10,"
        + " \"queries\": 2, \"group\": 4, \"learningRate\": 1e-4, \"maxLength\": 32,"
        + " \"data\": {\"pool\": 1, \"extra\": 3}}],"
        + " \"finetune\": {\"steps\": 10, \"batch\": 2, \"learningRate\": 1e-3,"
        + " \"maxLength\": 48},"
        + " \"decoderTeacher\": {\"size\": \"tiny\", \"clicks\": {\"sessions\": 5},"
        + " \"cpt\": {\"steps\": 4, \"batch\": 2, \"maxLength\": 32}, \"sft\": {\"steps\":"
        + " 4, \"batch\": 2, \"maxLength\": 48}, \"score\": {\"batch\": 4, \"maxLength\": 48},"
        + " \"withoutCpt\": true}, \"testLlmRun\": \"llm.run\"}");
    return config;
  }

  @Test
  void aListSourceThatSharesAQueryWithTheTestOrValidationSetOrAnUnknownSourceIsRefused() throws IOException {
    Path config = rankingFixture();
    String cfg = Files.readString(config);
    // the test collection's query "heat plate" under another id
    Files.writeString(dir.resolve("data/extra/queries.tsv"), "21\tjet air\n22\tHeat, plate\n");
    CliTest.Result r = CliTest.run("pipeline", "--data", dir.resolve("data").toString(), "--out",
        dir.resolve("run").toString(), "--stages", "ranking", "--config", config.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("lists 'extra': query 22 is a query of the test collection"),
        r.err());
    // the validation collection's query "heat flow" under another id
    Files.writeString(dir.resolve("data/extra/queries.tsv"), "21\tjet air\n22\theat  FLOW\n");
    CliTest.Result v = CliTest.run("pipeline", "--data", dir.resolve("data").toString(), "--out",
        dir.resolve("run").toString(), "--stages", "ranking", "--config", config.toString());
    assertEquals(2, v.code(), v.err());
    assertTrue(v.err().contains("lists 'extra': query 22 is a query of the validation"
        + " collection"), v.err());
    Files.writeString(dir.resolve("data/extra/queries.tsv"), "21\tjet air\n22\tplate storm\n");
    Files.writeString(config, cfg.replace("\"extra\": 3", "\"extar\": 3"));
    CliTest.Result u = CliTest.run("pipeline", "--data", dir.resolve("data").toString(), "--out",
        dir.resolve("run").toString(), "--stages", "ranking", "--config", config.toString());
    assertEquals(2, u.code(), u.err());
    assertTrue(u.err().contains("names 'extar', which is neither the pool nor one of 'lists'"
        + " [extra]"), u.err());
  }

  /**
   * A jar whose manifest holds this JVM's class path. ONNX Runtime 1.29's environment crashes the
   * JVM (SIGSEGV, no error file) when the {@code -cp} argument is long (measured: 8,000
   * characters crash, 800 do not), and the test class path is that long; the shipped jar's
   * manifest class path does not trigger it.
   */
  Path pathingJar() throws IOException {
    StringBuilder cp = new StringBuilder();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!e.isEmpty()) {
        cp.append(Path.of(e).toAbsolutePath().toUri().toString()).append(' ');
      }
    }
    java.util.jar.Manifest m = new java.util.jar.Manifest();
    m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, cp.toString().trim());
    Path jar = dir.resolve("classpath.jar");
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), m)) {
      out.flush();
    }
    return jar;
  }

  @Test
  void rankingStagesKilledMidwayResumeAndFinish() throws Exception {
    Path config = rankingFixture();
    List<String> args = List.of("pipeline", "--data", dir.resolve("data").toString(),
        "--out", dir.resolve("run").toString(), "--stages", "ranking", "--config",
        config.toString(), "--results", dir.resolve("docs/R.md").toString());
    // a real kill: the pipeline in its own JVM, killed once the second distillation phase runs
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-Dai.djl.offline=true", "-cp", pathingJar().toString(),
        Main.class.getName()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    boolean killed = false;
    StringBuilder seen = new StringBuilder();
    try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
        java.nio.charset.StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        seen.append(line).append('\n');
        if (line.contains("stage student/distill-2: running")) {
          p.destroyForcibly();
          killed = true;
          break;
        }
      }
    }
    p.waitFor();
    assertTrue(killed, seen.toString());
    Path first = dir.resolve("run/student/distill-1/manifest.json");
    assertTrue(Files.isRegularFile(first));
    assertFalse(Files.exists(dir.resolve("run/student/distill-2/manifest.json")),
        "killed before the second phase finished");
    // the pool kept the test query out, and the teacher scored every pool pair
    String poolQueries = Files.readString(dir.resolve("run/pool/queries.tsv"));
    assertFalse(poolQueries.contains("heat plate"), poolQueries);
    assertEquals(Files.readAllLines(dir.resolve("run/pool/run.txt")).size(),
        Files.readAllLines(dir.resolve("run/teacher/minilm/scores.tsv")).size());

    long firstStamp = Files.getLastModifiedTime(first).toMillis();
    CliTest.Result again = CliTest.run(args.toArray(String[]::new));
    assertEquals(0, again.code(), again.err());
    assertEquals(firstStamp, Files.getLastModifiedTime(first).toMillis(), "the phase finished"
        + " before the kill is skipped");
    assertFalse(Files.exists(dir.resolve("run/student/distill-2.partial")));
    // the list source: its teacher scored the first stage's top 6 of each of its queries, and
    // the second phase drew from the pool once and from the lists three times an epoch
    assertEquals(2 * 6, Files.readAllLines(dir.resolve("run/lists/extra/minilm/scores.tsv"))
        .size());
    com.fasterxml.jackson.databind.JsonNode sources = new com.fasterxml.jackson.databind
        .ObjectMapper().readTree(dir.resolve("run/student/distill-2/manifest.json").toFile())
        .path("metrics").path("sources");
    assertEquals(4, sources.path("pool").path("queries").asInt(), sources.toString());
    assertEquals(2, sources.path("extra").path("queries").asInt(), sources.toString());
    assertEquals(3, sources.path("extra").path("repeat").asInt(), sources.toString());
    List<String> firstSources = new ArrayList<>();
    new com.fasterxml.jackson.databind.ObjectMapper().readTree(first.toFile()).path("metrics")
        .path("sources").fieldNames().forEachRemaining(firstSources::add);
    assertEquals(List.of("pool"), firstSources, "a phase without 'data' learns from the pool");
    for (String stage : List.of("pool", "teacher/minilm", "student/distill-2", "final",
        "student/finetune", "teacher/cpt", "teacher/sft", "teacher/score",
        "teacher/sft-without-cpt", "rerank/test")) {
      assertTrue(Files.isRegularFile(dir.resolve("run/" + stage + "/manifest.json")), stage);
    }
    // the final student is a folder rerank, serve and spark score take as it is
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "model.onnx",
        "model.int8.onnx")) {
      assertTrue(Files.isRegularFile(dir.resolve("run/final/" + f)), f);
    }
    CliTest.Result rr = CliTest.run("rerank", "--dataset", dir.resolve("data/test").toString(),
        "--model", dir.resolve("run/final").toString(), "--onnx", dir.resolve(
        "run/final/model.int8.onnx").toString(), "-o", dir.resolve("final.run").toString());
    assertEquals(0, rr.code(), rr.err());
    String report = Files.readString(dir.resolve("run/report.md"));
    for (String row : List.of("| BM25 |", "| zero-shot MiniLM (bi-encoder) |",
        "| student fine-tuned on labels |", "| decoder teacher (CPT + SFT) |",
        "| decoder teacher without CPT |", "| final student (distilled), fp32 |",
        "| final student (distilled), int8 |", "| LLM reranker (RankVicuna-7B, evaluation row) |",
        "learning-curve.png", "scores-teacher.png", "loss-students.png", "The pool: 4 queries",
        "The lists 'extra': 2 queries of extra, 12 pairs, 2 teachers",
        "(from extra 2 queries x3, pool 4 queries x1)")) {
      assertTrue(report.contains(row), row + " in\n" + report);
    }
    for (String png : List.of("learning-curve.png", "scores-teacher.png", "scores-distilled.png",
        "scores-finetuned.png", "loss-students.png", "loss-teacher-cpt.png",
        "loss-teacher-sft.png")) {
      byte[] b = Files.readAllBytes(dir.resolve("run/" + png));
      assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', png);
    }
    // the learning curve has a point before training and after each validation interval
    List<String> curve = Files.readAllLines(dir.resolve("run/student/distill-1/validation.tsv"));
    assertEquals("step\ttokens\tndcg@10\tpnr", curve.get(0));
    assertEquals(1 + 3, curve.size(), curve.toString()); // steps 0, 10, 20
    // the results file gets the ranking section with its plots copied beside it
    // the section and figures are named after the config file (pipeline.json here)
    String recorded = Files.readString(dir.resolve("docs/R.md"));
    assertTrue(recorded.contains("<!-- BEGIN pipeline-ranking"), recorded);
    assertTrue(recorded.contains("](figures/pipeline-learning-curve.png)"), recorded);
    assertTrue(Files.size(dir.resolve("docs/figures/pipeline-learning-curve.png")) > 1000);
    // a third run finds every stage up to date
    long stamp = Files.getLastModifiedTime(dir.resolve("run/teacher/minilm/manifest.json"))
        .toMillis();
    assertEquals(0, CliTest.run(args.toArray(String[]::new)).code());
    assertEquals(stamp, Files.getLastModifiedTime(dir.resolve("run/teacher/minilm/manifest.json"))
        .toMillis());
  }
}
