package org.disranker.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * Encoded pairs padded to the longest of them (dynamic padding): ids, token types and attention
 * mask as [batch, length] int64 arrays, padding id 0 with mask 0.
 */
public record Batch(long[] ids, long[] typeIds, long[] mask, int size, int length) {

  /**
   * The indices of {@code pairs} sorted by length (ties in input order), so that batches cut from
   * this order pad little.
   */
  public static List<Integer> lengthOrder(List<PairTokenizer.Pair> pairs) {
    List<Integer> order = new java.util.ArrayList<>(pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      order.add(i);
    }
    order.sort(java.util.Comparator.comparingInt((Integer i) -> pairs.get(i).length())
        .thenComparingInt(i -> i));
    return order;
  }

  public static Batch of(List<PairTokenizer.Pair> pairs) {
    int len = 0;
    for (PairTokenizer.Pair p : pairs) {
      len = Math.max(len, p.length());
    }
    return padded(pairs, len);
  }

  /** Pairs padded to a fixed length (as a plain serving setup does), at least the longest. */
  public static Batch padded(List<PairTokenizer.Pair> pairs, int length) {
    int len = length;
    for (PairTokenizer.Pair p : pairs) {
      len = Math.max(len, p.length());
    }
    int n = pairs.size();
    long[] ids = new long[n * len];
    long[] types = new long[n * len];
    long[] mask = new long[n * len];
    for (int i = 0; i < n; i++) {
      PairTokenizer.Pair p = pairs.get(i);
      System.arraycopy(p.ids(), 0, ids, i * len, p.length());
      System.arraycopy(p.typeIds(), 0, types, i * len, p.length());
      for (int j = 0; j < p.length(); j++) {
        mask[i * len + j] = 1;
      }
    }
    return new Batch(ids, types, mask, n, len);
  }

  public NDArray idsArray(NDManager m) {
    return m.create(ids, new Shape(size, length));
  }

  public NDArray typesArray(NDManager m) {
    return m.create(typeIds, new Shape(size, length));
  }

  public NDArray maskArray(NDManager m) {
    return m.create(mask, new Shape(size, length));
  }
}
