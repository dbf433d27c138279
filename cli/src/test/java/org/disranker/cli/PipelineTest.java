package org.disranker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
