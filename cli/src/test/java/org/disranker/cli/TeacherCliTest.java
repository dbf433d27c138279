package org.disranker.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.util.Progress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The teacher commands end to end with the tiny preset on a tiny collection. */
class TeacherCliTest {
  @TempDir Path dir;

  @BeforeAll
  static void quiet() {
    Progress.setQuiet(true);
  }

  Path dataset() throws IOException {
    Path ds = dir.resolve("ds");
    Files.createDirectories(ds);
    Files.writeString(ds.resolve("corpus.jsonl"),
        "{\"id\": \"d1\", \"title\": \"Lift\", \"text\": \"wings make lift by turning air\"}\n"
            + "{\"id\": \"d2\", \"text\": \"the stock market fell today\"}\n"
            + "{\"id\": \"d3\", \"text\": \"lift and drag on a wing\"}\n");
    Files.writeString(ds.resolve("queries.tsv"), "q1\thow do wings make lift\nq2\tmarkets\n");
    Files.writeString(ds.resolve("qrels.txt"), "q1 0 d1 3\nq1 0 d2 0\nq1 0 d3 2\nq2 0 d2 2\n"
        + "q2 0 d1 0\n");
    Files.writeString(ds.resolve("run.txt"), "q1 Q0 d2 1 3 bm25\nq1 Q0 d1 2 2 bm25\n"
        + "q1 Q0 d3 3 1 bm25\nq2 Q0 d2 1 1 bm25\nq2 Q0 d1 2 0.5 bm25\n");
    return ds;
  }

  @Test
  void initClicksCptSftAndResumableScoring() throws IOException {
    Path ds = dataset();
    Path init = dir.resolve("init");
    assertEquals(0, CliTest.run("teacher", "init", "--size", "tiny", "-o", init.toString())
        .code());
    Path clicks = dir.resolve("clicks.jsonl");
    CliTest.Result c = CliTest.run("teacher", "clicks", "--dataset", ds.toString(), "--sessions",
        "20", "-o", clicks.toString());
    assertEquals(0, c.code(), c.err());
    assertTrue(Files.readAllLines(clicks).size() >= 2);
    CliTest.Result cpt = CliTest.run("teacher", "cpt", "--model", init.toString(), "--clicks",
        clicks.toString(), "--out", dir.resolve("cpt").toString(), "--steps", "3", "--batch",
        "2", "--max-length", "32");
    assertEquals(0, cpt.code(), cpt.err());
    CliTest.Result sft = CliTest.run("teacher", "sft", "--dataset", ds.toString(), "--model",
        dir.resolve("cpt/model").toString(), "--out", dir.resolve("sft").toString(), "--steps",
        "3", "--batch", "2", "--max-length", "32", "--lora-rank", "2");
    assertEquals(0, sft.code(), sft.err());
    Path scores = dir.resolve("scores.tsv");
    Path run = dir.resolve("teacher.run");
    CliTest.Result s = CliTest.run("teacher", "score", "--dataset", ds.toString(), "--model",
        dir.resolve("sft/model").toString(), "--batch", "2", "-o", scores.toString(),
        "--trec-run", run.toString());
    assertEquals(0, s.code(), s.err());
    assertEquals(5, Files.readAllLines(scores).size());
    assertEquals(3, TrecRuns.read(run).get("q1").size());
    // scoring again over a complete output changes nothing
    byte[] before = Files.readAllBytes(scores);
    assertEquals(0, CliTest.run("teacher", "score", "--dataset", ds.toString(), "--model",
        dir.resolve("sft/model").toString(), "--batch", "2", "-o", scores.toString()).code());
    assertArrayEquals(before, Files.readAllBytes(scores));
    // a zero-shot bi-encoder teacher scores the same pairs, and the ensemble combines the two
    Path bi = dir.resolve("minilm.tsv");
    CliTest.Result b = CliTest.run("teacher", "score", "--dataset", ds.toString(), "--model",
        "minilm", "--max-length", "64", "-o", bi.toString());
    assertEquals(0, b.code(), b.err());
    assertEquals(5, Files.readAllLines(bi).size());
    Path ens = dir.resolve("ens.tsv");
    CliTest.Result e = CliTest.run("teacher", "ensemble", "--teacher-scores", scores.toString(),
        "--teacher-scores", bi + "@2", "-o", ens.toString());
    assertEquals(0, e.code(), e.err());
    assertEquals(5, Files.readAllLines(ens).size());
  }
}
