package org.disranker.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrecIoTest {
  @TempDir Path dir;

  Path write(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content);
    return p;
  }

  static void assertNamesFileAndLine(InputFormatException e, Path file, long line) {
    assertEquals(file, e.file());
    assertEquals(line, e.line());
    assertTrue(e.getMessage().startsWith(file + ":" + line + ": "), e.getMessage());
  }

  @Test
  void readsQrels() throws IOException {
    Qrels q = TrecQrels.read(write("q.txt", "1 0 a 2\n\n1 0 b 0\n2\t0\tc\t1\n"));
    assertEquals(Set.of("1", "2"), q.queryIds());
    assertEquals(2, q.grade("1", "a"));
    assertEquals(0, q.grade("1", "b"));
    assertEquals(null, q.grade("1", "c"));
    assertEquals(3, q.size());
  }

  @Test
  void qrelsWithNonNumericGradeNamesFileAndLine() throws IOException {
    Path f = write("q.txt", "1 0 a 2\n1 0 b high\n");
    InputFormatException e = assertThrows(InputFormatException.class, () -> TrecQrels.read(f));
    assertNamesFileAndLine(e, f, 2);
    assertTrue(e.getMessage().contains("grade is not an integer: 'high'"));
  }

  @Test
  void qrelsWithMissingFieldOrDuplicatePairFail() throws IOException {
    Path short3 = write("a.txt", "1 0 a\n");
    assertNamesFileAndLine(assertThrows(InputFormatException.class, () -> TrecQrels.read(short3)),
        short3, 1);
    Path dup = write("b.txt", "1 0 a 1\n2 0 a 1\n1 0 a 0\n");
    InputFormatException e = assertThrows(InputFormatException.class, () -> TrecQrels.read(dup));
    assertNamesFileAndLine(e, dup, 3);
    assertTrue(e.getMessage().contains("duplicate judgment"));
  }

  @Test
  void missingFileIsAClearError() {
    Path f = dir.resolve("nope.txt");
    InputFormatException e = assertThrows(InputFormatException.class, () -> TrecQrels.read(f));
    assertTrue(e.getMessage().contains("file not found"));
  }

  @Test
  void runRoundTripsExactly() throws IOException {
    Run run = Run.ranked("tag", Map.of("q1", List.of(new ScoredDoc("a", 0.1, 0),
        new ScoredDoc("b", 1.0 / 3, 0), new ScoredDoc("c", 1.0 / 3, 0))));
    // trec_eval order: b and c tie, c first (docid descending)
    assertEquals(List.of("c", "b", "a"), run.get("q1").stream().map(ScoredDoc::docid).toList());
    Path f = dir.resolve("sub/run.txt");
    TrecRuns.write(f, run, "my tag");
    Run back = TrecRuns.read(f);
    assertEquals("my_tag", back.name());
    assertEquals(run.get("q1"), back.get("q1"));
    assertEquals("q1 Q0 c 1 0.3333333333333333 my_tag", Files.readAllLines(f).get(0));
  }

  @Test
  void malformedRunsNameFileAndLine() throws IOException {
    Path five = write("r1.txt", "1 Q0 a 1 2.0 t\n1 Q0 b 2 1.0\n");
    InputFormatException e = assertThrows(InputFormatException.class, () -> TrecRuns.read(five));
    assertNamesFileAndLine(e, five, 2);
    assertTrue(e.getMessage().contains("expected 6 fields"));

    Path badScore = write("r2.txt", "1 Q0 a 1 x t\n");
    assertTrue(assertThrows(InputFormatException.class, () -> TrecRuns.read(badScore))
        .getMessage().contains("score is not a number"));

    Path nan = write("r2b.txt", "1 Q0 a 1 NaN t\n");
    assertTrue(assertThrows(InputFormatException.class, () -> TrecRuns.read(nan))
        .getMessage().contains("score is not finite"));

    Path dup = write("r3.txt", "1 Q0 a 1 2 t\n2 Q0 a 1 2 t\n1 Q0 a 2 1 t\n");
    e = assertThrows(InputFormatException.class, () -> TrecRuns.read(dup));
    assertNamesFileAndLine(e, dup, 3);
    assertTrue(e.getMessage().contains("listed twice"));

    Path unknown = write("r4.txt", "1 Q0 a 1 2 t\n7 Q0 a 1 2 t\n");
    e = assertThrows(InputFormatException.class, () -> TrecRuns.read(unknown, Set.of("1")::contains));
    assertNamesFileAndLine(e, unknown, 2);
    assertTrue(e.getMessage().contains("unknown query id '7'"));
  }

  @Test
  void failedWriteKeepsTheOldFileAndLeavesNoTemporary() throws IOException {
    Path f = write("out.txt", "old content\n");
    assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, w -> {
      w.write("half of the new ");
      throw new IllegalStateException("boom");
    }));
    assertEquals("old content\n", Files.readString(f));
    try (var s = Files.list(dir)) {
      assertEquals(List.of(f), s.toList());
    }
  }

  @Test
  void markdownBlocksAreReplacedInPlaceAndAppendedWhenNew() throws IOException {
    Path md = write("R.md", "# Results\n\nintro\n");
    MarkdownBlocks.upsert(md, "a", "first\n");
    MarkdownBlocks.upsert(md, "b", "second");
    MarkdownBlocks.upsert(md, "a", "first again");
    assertEquals("# Results\n\nintro\n\n<!-- BEGIN a -->\nfirst again\n<!-- END a -->\n\n"
        + "<!-- BEGIN b -->\nsecond\n<!-- END b -->\n", Files.readString(md));
  }
}
