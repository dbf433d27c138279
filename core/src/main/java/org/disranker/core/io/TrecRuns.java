package org.disranker.core.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;

/** TREC run files: {@code qid Q0 docid rank score tag}, whitespace separated. */
public final class TrecRuns {
  private TrecRuns() {}

  /** Reads a run; every query id is accepted. */
  public static Run read(Path file) {
    return read(file, q -> true);
  }

  /**
   * Reads a run. A line without six fields, a non-integer rank, a non-numeric score, a document
   * listed twice for one query, or a query id that {@code knownQuery} rejects is an {@link
   * InputFormatException} naming file and line. The run's name is the tag of its first line.
   */
  public static Run read(Path file, Predicate<String> knownQuery) {
    Map<String, List<ScoredDoc>> byQuery = new LinkedHashMap<>();
    Map<String, Set<String>> seen = new HashMap<>();
    String[] tag = {null};
    Lines.forEach(file, (n, line) -> {
      String[] f = Lines.fields(line);
      if (f.length == 0) {
        return;
      }
      if (f.length != 6) {
        throw new InputFormatException(file, n,
            "expected 6 fields 'qid Q0 docid rank score tag', found " + f.length);
      }
      String qid = f[0];
      if (!knownQuery.test(qid)) {
        throw new InputFormatException(file, n, "unknown query id '" + qid + "'");
      }
      int rank = Lines.parseInt(file, n, "rank", f[3]);
      double score = Lines.parseDouble(file, n, "score", f[4]);
      if (!seen.computeIfAbsent(qid, k -> new HashSet<>()).add(f[2])) {
        throw new InputFormatException(file, n,
            "document " + f[2] + " listed twice for query " + qid);
      }
      if (tag[0] == null) {
        tag[0] = f[5];
      }
      byQuery.computeIfAbsent(qid, k -> new ArrayList<>()).add(new ScoredDoc(f[2], score, rank));
    });
    String name = tag[0] != null ? tag[0] : file.getFileName().toString();
    return new Run(name, byQuery);
  }

  /** Writes a run atomically, each query's list as stored, with the given tag. */
  public static void write(Path file, Run run, String tag) {
    String t = tag == null || tag.isBlank() ? "disranker" : tag.strip().replaceAll("\\s+", "_");
    AtomicFiles.write(file, w -> {
      for (String q : run.queryIds()) {
        for (ScoredDoc d : run.get(q)) {
          w.write(q + " Q0 " + d.docid() + " " + d.rank() + " " + formatScore(d.score()) + " " + t
              + "\n");
        }
      }
    });
  }

  /** Shortest decimal that reads back to the same double, so a written run evaluates identically. */
  static String formatScore(double score) {
    return Double.toString(score);
  }
}
