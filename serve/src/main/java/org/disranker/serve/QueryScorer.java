package org.disranker.serve;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Scores the pairs of one query in batches formed by a fixed plan: the query's pairs ordered by
 * input length, then document id, cut into batches of {@code batchSize}. Because the plan depends
 * on the query's pairs alone, not on how a pool is split into partitions or files, a pair gets the
 * same score on one machine and on any cluster.
 *
 * <p>Implementations are shared by the tasks of one executor and must be thread-safe.
 */
public abstract class QueryScorer implements AutoCloseable {
  private final int batchSize;

  protected QueryScorer(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    this.batchSize = batchSize;
  }

  /** The encoded model input of one pair. */
  protected abstract Object encode(PairText pair);

  /** The length of an encoded input (the plan's sort key). */
  protected abstract int length(Object encoded);

  /** Scores one batch of encoded inputs. */
  protected abstract float[] scoreBatch(List<Object> encoded);

  /**
   * Scores the pairs of one query, in input order.
   *
   * @throws IllegalArgumentException when the pairs belong to several queries or a document
   *     appears twice
   */
  public final float[] scoreQuery(List<PairText> pairs) {
    int n = pairs.size();
    List<Object> enc = new ArrayList<>(n);
    Set<String> seen = new HashSet<>();
    for (PairText p : pairs) {
      if (!p.qid().equals(pairs.get(0).qid())) {
        throw new IllegalArgumentException("pairs of queries " + pairs.get(0).qid() + " and "
            + p.qid() + " in one group");
      }
      if (!seen.add(p.docid())) {
        throw new IllegalArgumentException("pair (" + p.qid() + ", " + p.docid()
            + ") appears twice in the pool");
      }
      enc.add(encode(p));
    }
    List<Integer> order = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingInt((Integer i) -> length(enc.get(i)))
        .thenComparing(i -> pairs.get(i).docid()));
    float[] out = new float[n];
    for (int s = 0; s < n; s += batchSize) {
      List<Integer> idx = order.subList(s, Math.min(n, s + batchSize));
      List<Object> batch = new ArrayList<>(idx.size());
      idx.forEach(i -> batch.add(enc.get(i)));
      float[] sc = scoreBatch(batch);
      if (sc.length != idx.size()) {
        throw new IllegalStateException(sc.length + " scores for a batch of " + idx.size());
      }
      for (int j = 0; j < idx.size(); j++) {
        out[idx.get(j)] = sc[j];
      }
    }
    return out;
  }

  @Override
  public void close() {}
}
