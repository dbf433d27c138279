package org.disranker.serve;

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
  static final List<PairText> PAIRS = new ArrayList<>();

  @BeforeAll
  static void pool() {
    Progress.setQuiet(true);
    for (int i = 0; i < 23; i++) {
      PAIRS.add(new PairText("q" + (i / 5), "d" + i, "query " + (i / 5), "",
          "x".repeat((i * 7) % 11 + 1)));
    }
  }

  /** A scorer whose value depends on the batch it is in, as padding can make real ones do. */
  static final class Fake extends QueryScorer {
    Fake() {
      super(2);
    }

    @Override
    protected Object encode(PairText p) {
      return p;
    }

    @Override
    protected int length(Object e) {
      return ((PairText) e).text().length();
    }

    @Override
    protected float[] scoreBatch(List<Object> batch) {
      float[] s = new float[batch.size()];
      for (int j = 0; j < s.length; j++) {
        s[j] = length(batch.get(j)) * 0.1f + batch.size() * 0.001f;
      }
      return s;
    }
  }

  PoolScorer.Result run(Path out, long stopAfter) {
    return PoolScorer.score(PoolScorer.byQuery(PAIRS), new Fake(), out, Map.of("model", "test"),
        null, stopAfter);
  }

  @Test
  void killedAndResumedOutputIsByteIdentical() throws IOException {
    Path whole = dir.resolve("whole.tsv");
    run(whole, -1);
    assertEquals(23, Files.readAllLines(whole).size());
    assertTrue(Files.isRegularFile(dir.resolve("whole.tsv.manifest.json")));

    Path part = dir.resolve("part.tsv");
    PoolScorer.Result r = run(part, 2);
    assertTrue(r.interrupted());
    assertEquals(10, Files.readAllLines(part).size());
    // a kill in the middle of writing the next query leaves part of it and a torn line behind
    Files.writeString(part, "q2\td10\t0.1\nq2\td11\t0.", StandardOpenOption.APPEND);
    PoolScorer.Result rest = run(part, -1);
    assertEquals(10, rest.resumedFrom());
    assertEquals(13, rest.scoredNow());
    assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(part));
  }

  @Test
  void jsonlOutputAndAForeignFileIsRefused() throws IOException {
    Path out = dir.resolve("s.jsonl");
    run(out, -1);
    assertTrue(Files.readAllLines(out).get(0).startsWith("{\"qid\":\"q0\""));
    Path foreign = dir.resolve("f.tsv");
    Files.writeString(foreign, "x\ty\t1.0\n");
    InputFormatException e = assertThrows(InputFormatException.class, () -> run(foreign, -1));
    assertTrue(e.getMessage().contains(":1: is not the pair expected there"), e.getMessage());
  }
}
