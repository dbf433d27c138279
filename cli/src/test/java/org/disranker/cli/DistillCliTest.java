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
  void distilsFromARunAndRefusesTwoTeachers() throws IOException {
    Path ds = dir.resolve("ds");
    Files.createDirectories(ds);
    Files.writeString(ds.resolve("corpus.jsonl"),
        "{\"id\": \"d1\", \"text\": \"wings make lift by turning air\"}\n"
            + "{\"id\": \"d2\", \"text\": \"the stock market fell today\"}\n"
            + "{\"id\": \"d3\", \"text\": \"lift and drag on a wing\"}\n");
    Files.writeString(ds.resolve("queries.tsv"), "q1\thow do wings make lift\n");
    Path teacher = dir.resolve("teacher.run");
    Files.writeString(teacher, "q1 Q0 d1 1 0 llm\nq1 Q0 d3 2 0 llm\nq1 Q0 d2 3 0 llm\n");
    Path model = dir.resolve("tiny");
    BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2, 1e-12), 5,
        BertCheckpoint.minilmTokenizer()).save(model);
    CliTest.Result r = CliTest.run("distill", "--dataset", ds.toString(), "--teacher-run",
        teacher.toString(), "--init", model.toString(), "--out", dir.resolve("out").toString(),
        "--steps", "3", "--batch", "2", "--max-length", "32");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isRegularFile(dir.resolve("out/model/model.safetensors")));
    CliTest.Result both = CliTest.run("distill", "--dataset", ds.toString(), "--teacher-run",
        teacher.toString(), "--teacher-scores", teacher.toString(), "--out",
        dir.resolve("x").toString());
    assertEquals(2, both.code());
  }
}
