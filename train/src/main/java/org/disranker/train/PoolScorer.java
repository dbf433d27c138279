package org.disranker.train;

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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.util.Interruption;
import org.disranker.core.util.Progress;

/**
 * Scores a large pool of (query, document) pairs into a TSV ({@code qid docid score}) or JSONL
 * file, resumable after a kill.
 *
 * <p>Pairs are scored in a fixed order — by input length, then input position — in batches of a
 * fixed size, each batch appended and flushed to disk whole. Started again on a partial output,
 * it keeps only whole batches (a torn last batch or line is cut off), checks that the kept lines
 * are the pairs it expects, and goes on from there; since batches are the same as in an
 * uninterrupted run, the output is byte-identical. A manifest ({@code OUT.manifest.json}) is
 * written when the pool is done.
 */
public final class PoolScorer {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Scores the pairs with the given positions in the pool. */
  @FunctionalInterface
  public interface BatchScorer {
    float[] score(List<Integer> positions);
  }

  /** How a run ended. */
  public record Result(long pairs, long scoredNow, long resumedFrom, boolean interrupted,
      double pairsPerSecond) {}

  private PoolScorer() {}

  /**
   * @param qids query id of each pair
   * @param docids document id of each pair
   * @param lengths input length of each pair (the sort key)
   * @param info what the manifest records about the scorer (model, config)
   * @param stopAfterBatches stop after this many batches of this call (tests); negative: no limit
   */
  public static Result score(List<String> qids, List<String> docids, int[] lengths,
      int batchSize, BatchScorer scorer, Path out, Map<String, Object> info, Interruption stop,
      long stopAfterBatches) {
    int n = qids.size();
    List<Integer> order = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingInt((Integer i) -> lengths[i]).thenComparingInt(i -> i));
    boolean jsonl = out.getFileName().toString().endsWith(".jsonl");
    long resumed = keepWholeBatches(out, order, qids, docids, batchSize, jsonl);
    long t0 = System.nanoTime();
    long scored = 0;
    boolean interrupted = false;
    try (OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
        Progress p = Progress.start("score", n)) {
      p.step(resumed);
      long batches = 0;
      for (int s = (int) resumed; s < n; s += batchSize) {
        if ((stop != null && stop.requested())
            || (stopAfterBatches >= 0 && batches >= stopAfterBatches)) {
          interrupted = true;
          break;
        }
        List<Integer> idx = order.subList(s, Math.min(n, s + batchSize));
        float[] sc = scorer.score(idx);
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < idx.size(); j++) {
          sb.append(line(qids.get(idx.get(j)), docids.get(idx.get(j)), sc[j], jsonl));
        }
        os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        os.flush();
        scored += idx.size();
        batches++;
        p.step(idx.size());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + out, e);
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    if (!interrupted) {
      ObjectNode m = JSON.createObjectNode();
      m.put("output", out.getFileName().toString());
      m.put("pairs", n);
      m.put("batchSize", batchSize);
      m.put("order", "input length, then input position");
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
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Cuts a partial output back to whole batches; returns the pairs it keeps. */
  static long keepWholeBatches(Path out, List<Integer> order, List<String> qids,
      List<String> docids, int batchSize, boolean jsonl) {
    if (!Files.exists(out)) {
      return 0;
    }
    try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "rw")) {
      long lines = 0;
      long keepBytes = 0;
      long pos = 0;
      long lastBatchEnd = 0;
      long keptLines = 0;
      byte[] buf = Files.readAllBytes(out);
      int lineStart = 0;
      for (int i = 0; i < buf.length; i++) {
        if (buf[i] != '\n') {
          continue;
        }
        String text = new String(buf, lineStart, i - lineStart, StandardCharsets.UTF_8);
        if (lines >= order.size()) {
          throw new InputFormatException(out, lines + 1, "more lines than the pool has pairs");
        }
        int expect = order.get((int) lines);
        String prefix = jsonl ? "{\"qid\":" + quote(qids.get(expect)) + ",\"docid\":"
            + quote(docids.get(expect)) + "," : qids.get(expect) + "\t" + docids.get(expect)
            + "\t";
        if (!text.startsWith(prefix)) {
          throw new InputFormatException(out, lines + 1, "is not the pair expected there: the"
              + " output belongs to another pool or batch size; remove it to start over");
        }
        lines++;
        pos = i + 1;
        lineStart = i + 1;
        if (lines % batchSize == 0) {
          lastBatchEnd = pos;
          keptLines = lines;
        }
      }
      keepBytes = lastBatchEnd;
      if (lines == order.size() && pos == buf.length) {
        keepBytes = pos; // complete: a last, shorter batch is whole too
        keptLines = lines;
      }
      f.setLength(keepBytes);
      if (keptLines > 0) {
        System.err.println("resuming after " + keptLines + " scored pairs in " + out);
      }
      return keptLines;
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + out, e);
    }
  }
}
