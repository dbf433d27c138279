package org.disranker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code disranker distill} on a tiny student and a toy teacher run. */
class DistillCliTest {
  @TempDir Path dir;

  @BeforeAll
  static void quiet() {
    Progress.setQuiet(true);
  }

  @Test
  void distilsFromARunOrAnEnsembleAndNamesBadInput() throws IOException {
    Path ds = dir.resolve("ds");
    Files.createDirectories(ds);
    Files.writeString(ds.resolve("corpus.jsonl"),
        "{\"id\": \"d1\", \"text\": \"wings make lift by turning air\"}\n"
            + "{\"id\": \"d2\", \"text\": \"the stock market fell today\"}\n"
            + "{\"id\": \"d3\", \"text\": \"lift and drag on a wing\"}\n");
    Files.writeString(ds.resolve("queries.tsv"), "q1\thow do wings make lift\n");
    // a first stage and labels, so that the same folder can validate
    Files.writeString(ds.resolve("run.txt"), "q1 Q0 d2 1 3 bm25\nq1 Q0 d1 2 2 bm25\n"
        + "q1 Q0 d3 3 1 bm25\n");
    Files.writeString(ds.resolve("qrels.txt"), "q1 0 d1 3\nq1 0 d2 0\nq1 0 d3 2\n");
    Path teacher = dir.resolve("teacher.run");
    Files.writeString(teacher, "q1 Q0 d1 1 0 llm\nq1 Q0 d3 2 0 llm\nq1 Q0 d2 3 0 llm\n");
    Path model = dir.resolve("tiny");
    BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2, 1e-12), 5,
        BertCheckpoint.minilmTokenizer()).save(model);
    CliTest.Result r = CliTest.run("distill", "--dataset", ds.toString(), "--teacher-run",
        teacher.toString(), "--rank-map", "linear", "--init", model.toString(), "--out",
        dir.resolve("out").toString(), "--steps", "3", "--batch", "1", "--group", "3",
        "--max-length", "32", "--validate", ds.toString(), "--validate-every", "2");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isRegularFile(dir.resolve("out/model/model.safetensors")));
    // the learning curve: before training, at step 2 and at the end
    assertEquals(4, Files.readAllLines(dir.resolve("out/validation.tsv")).size());
    // an ensemble of a run and a score file, weighted
    Path scores = dir.resolve("s.tsv");
    Files.writeString(scores, "q1\td1\t0.9\nq1\td2\t0.1\nq1\td3\t0.5\n");
    CliTest.Result ens = CliTest.run("distill", "--dataset", ds.toString(), "--teacher-run",
        teacher.toString() + "@2", "--rank-map", "linear", "--teacher-scores", scores.toString(),
        "--init", model.toString(), "--out", dir.resolve("ens").toString(), "--steps", "2",
        "--batch", "1", "--group", "2", "--max-length", "32");
    assertEquals(0, ens.code(), ens.err());
    CliTest.Result w = CliTest.run("distill", "--dataset", ds.toString(), "--teacher-scores",
        scores + "@heavy", "--out", dir.resolve("x").toString());
    assertEquals(2, w.code());
    assertTrue(w.err().contains("the weight after @ must be a positive number"), w.err());
    CliTest.Result big = CliTest.run("distill", "--dataset", ds.toString(), "--teacher-scores",
        scores.toString(), "--group", "4", "--out", dir.resolve("y").toString());
    assertEquals(2, big.code());
    assertTrue(big.err().contains("no query has 4 teacher-scored documents"), big.err());
  }
}
