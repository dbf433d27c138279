package org.disranker.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.util.Interruption;
import org.disranker.core.util.Progress;

/**
 * Scores a pool of (query, document) pairs on one machine into a TSV ({@code qid docid score}) or
 * JSON-lines file, resumable after a kill. This is the single-machine twin of {@code disranker
 * spark score}: each query's pairs go through {@link QueryScorer#scoreQuery}, the same plan the
 * Spark job uses, so both give a pair the same score.
 *
 * <p>Queries are scored in pool order and each is appended and flushed whole. Started again on a
 * partial output, it keeps the whole queries (a torn last query or line is cut off), checks that
 * the kept lines are the pairs it expects, and goes on from the next query; the finished file is
 * the one an uninterrupted run writes. A manifest ({@code OUT.manifest.json}) is written when the
 * pool is done.
 */
public final class PoolScorer {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** How a run ended. */
  public record Result(long pairs, long scoredNow, long resumedFrom, boolean interrupted,
      double pairsPerSecond) {}

  private PoolScorer() {}

  /** The pairs of a pool grouped by query, in first-seen order. */
  public static List<List<PairText>> byQuery(List<PairText> pairs) {
    Map<String, List<PairText>> m = new LinkedHashMap<>();
    for (PairText p : pairs) {
      m.computeIfAbsent(p.qid(), k -> new ArrayList<>()).add(p);
    }
    return new ArrayList<>(m.values());
  }

  /**
   * @param queries the pool, one list of pairs per query
   * @param info what the manifest records about the scorer (model, config)
   * @param stopAfterQueries stop after this many queries of this call (tests); negative: no limit
   */
  public static Result score(List<List<PairText>> queries, QueryScorer scorer, Path out,
      Map<String, Object> info, Interruption stop, long stopAfterQueries) {
    long n = queries.stream().mapToLong(List::size).sum();
    boolean jsonl = out.getFileName().toString().endsWith(".jsonl");
    int resumedQueries = keepWholeQueries(out, queries, jsonl);
    long resumed = queries.subList(0, resumedQueries).stream().mapToLong(List::size).sum();
    long t0 = System.nanoTime();
    long scored = 0;
    boolean interrupted = false;
    try (OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
        Progress p = Progress.start("score", n)) {
      p.step(resumed);
      long done = 0;
      for (int q = resumedQueries; q < queries.size(); q++) {
        if ((stop != null && stop.requested())
            || (stopAfterQueries >= 0 && done >= stopAfterQueries)) {
          interrupted = true;
          break;
        }
        List<PairText> pairs = queries.get(q);
        float[] sc = scorer.scoreQuery(pairs);
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < pairs.size(); j++) {
          sb.append(line(pairs.get(j).qid(), pairs.get(j).docid(), sc[j], jsonl));
        }
        os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        os.flush();
        scored += pairs.size();
        done++;
        p.step(pairs.size());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + out, e);
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    if (!interrupted) {
      ObjectNode m = JSON.createObjectNode();
      m.put("output", out.getFileName().toString());
      m.put("pairs", n);
      m.put("queries", queries.size());
      m.put("plan", "per query: QueryScorer's batches (input length, then docid)");
      m.set("scorer", JSON.valueToTree(info));
      m.put("resumedFrom", resumed);
      m.put("secondsThisRun", Math.round(secs * 10) / 10.0);
      try {
        AtomicFiles.writeString(out.resolveSibling(out.getFileName() + ".manifest.json"),
            JSON.writeValueAsString(m) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new Result(n, scored, resumed, interrupted, scored / Math.max(secs, 1e-9));
  }

  static String line(String qid, String docid, float score, boolean jsonl) {
    if (jsonl) {
      return "{\"qid\":" + quote(qid) + ",\"docid\":" + quote(docid) + ",\"score\":" + score
          + "}\n";
    }
    return qid + "\t" + docid + "\t" + score + "\n";
  }

  static String quote(String s) {
    try {
      return new ObjectMapper().writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Cuts a partial output back to whole queries; returns how many it keeps. */
  static int keepWholeQueries(Path out, List<List<PairText>> queries, boolean jsonl) {
    if (!Files.exists(out)) {
      return 0;
    }
    try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "rw")) {
      byte[] buf = Files.readAllBytes(out);
      int q = 0;
      int inQuery = 0;
      long line = 0;
      long keepBytes = 0;
      int lineStart = 0;
      for (int i = 0; i < buf.length; i++) {
        if (buf[i] != '\n') {
          continue;
        }
        line++;
        String text = new String(buf, lineStart, i - lineStart, StandardCharsets.UTF_8);
        lineStart = i + 1;
        if (q >= queries.size()) {
          throw new InputFormatException(out, line, "more lines than the pool has pairs");
        }
        PairText expect = queries.get(q).get(inQuery);
        String prefix = jsonl ? "{\"qid\":" + quote(expect.qid()) + ",\"docid\":"
            + quote(expect.docid()) + "," : expect.qid() + "\t" + expect.docid() + "\t";
        if (!text.startsWith(prefix)) {
          throw new InputFormatException(out, line, "is not the pair expected there: the"
              + " output belongs to another pool; remove it to start over");
        }
        if (++inQuery == queries.get(q).size()) {
          q++;
          inQuery = 0;
          keepBytes = i + 1;
        }
      }
      f.setLength(keepBytes);
      if (q > 0) {
        System.err.println("resuming after " + q + " scored queries in " + out);
      }
      return q;
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + out, e);
    }
  }
}
