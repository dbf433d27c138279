package org.disranker.core.io;

import java.nio.file.Path;
import java.util.Map;
import org.disranker.core.data.Qrels;

/** TREC qrels files: {@code qid iteration docid grade}, whitespace separated. */
public final class TrecQrels {
  private TrecQrels() {}

  /**
   * Reads a qrels file. Blank lines are skipped; a line without four fields, a non-integer grade or
   * a second judgment of the same pair is an {@link InputFormatException} naming file and line.
   */
  public static Qrels read(Path file) {
    Qrels.Builder b = Qrels.builder();
    Lines.forEach(file, (n, line) -> {
      String[] f = Lines.fields(line);
      if (f.length == 0) {
        return;
      }
      if (f.length != 4) {
        throw new InputFormatException(file, n,
            "expected 4 fields 'qid iteration docid grade', found " + f.length);
      }
      int grade = Lines.parseInt(file, n, "grade", f[3]);
      if (!b.add(f[0], f[2], grade)) {
        throw new InputFormatException(file, n,
            "duplicate judgment for query " + f[0] + ", document " + f[2]);
      }
    });
    return b.build();
  }

  /** Writes qrels atomically with iteration 0. */
  public static void write(Path file, Qrels qrels) {
    AtomicFiles.write(file, w -> {
      for (String q : qrels.queryIds()) {
        for (Map.Entry<String, Integer> e : qrels.judgments(q).entrySet()) {
          w.write(q + " 0 " + e.getKey() + " " + e.getValue() + "\n");
        }
      }
    });
  }
}
