package org.disranker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.util.Progress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolScorerTest {
  @TempDir Path dir;
  static final List<String> QIDS = new ArrayList<>();
  static final List<String> DOCIDS = new ArrayList<>();
  static final int[] LENGTHS = new int[23];

  @BeforeAll
  static void pool() {
    Progress.setQuiet(true);
    for (int i = 0; i < 23; i++) {
      QIDS.add("q" + (i % 3));
      DOCIDS.add("d" + i);
      LENGTHS[i] = (i * 7) % 11;
    }
  }

  /** A scorer whose value depends on the batch it is in, as padding can make real ones do. */
  static float[] score(List<Integer> idx) {
    float[] s = new float[idx.size()];
    for (int j = 0; j < s.length; j++) {
      s[j] = idx.get(j) * 0.1f + idx.size() * 0.001f + idx.get(0) * 1e-5f;
    }
    return s;
  }

  PoolScorer.Result run(Path out, long stopAfter) {
    return PoolScorer.score(QIDS, DOCIDS, LENGTHS, 4, PoolScorerTest::score, out,
        Map.of("model", "test"), null, stopAfter);
  }

  @Test
  void killedAndResumedOutputIsByteIdentical() throws IOException {
    Path whole = dir.resolve("whole.tsv");
    run(whole, -1);
    assertEquals(23, Files.readAllLines(whole).size());
    assertTrue(Files.isRegularFile(dir.resolve("whole.tsv.manifest.json")));

    Path part = dir.resolve("part.tsv");
    PoolScorer.Result r = run(part, 3);
    assertTrue(r.interrupted());
    // a kill in the middle of writing the next batch leaves a torn line behind
    Files.writeString(part, "q1\td5\t0.12", StandardOpenOption.APPEND);
    PoolScorer.Result rest = run(part, -1);
    assertEquals(12, rest.resumedFrom());
    assertEquals(11, rest.scoredNow());
    assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(part));
  }

  @Test
  void jsonlOutputAndAForeignFileIsRefused() throws IOException {
    Path out = dir.resolve("s.jsonl");
    run(out, -1);
    assertTrue(Files.readAllLines(out).get(0).startsWith("{\"qid\":\"q"));
    Path foreign = dir.resolve("f.tsv");
    Files.writeString(foreign, "x\ty\t1.0\n");
    InputFormatException e = assertThrows(InputFormatException.class, () -> run(foreign, -1));
    assertTrue(e.getMessage().contains(":1: is not the pair expected there"), e.getMessage());
  }
}
