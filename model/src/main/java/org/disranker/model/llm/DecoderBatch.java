package org.disranker.model.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Decoder sequences padded on the right to the longest (dynamic padding): ids, attention mask and
 * the language-model label mask, each [batch, length].
 */
public record DecoderBatch(long[] ids, long[] mask, long[] labels, int size, int length) {

  public static DecoderBatch of(List<long[]> seqs, List<boolean[]> labelMasks, long padId) {
    int len = 0;
    for (long[] s : seqs) {
      len = Math.max(len, s.length);
    }
    int n = seqs.size();
    long[] ids = new long[n * len];
    long[] mask = new long[n * len];
    long[] labels = new long[n * len];
    java.util.Arrays.fill(ids, padId);
    for (int i = 0; i < n; i++) {
      long[] s = seqs.get(i);
      System.arraycopy(s, 0, ids, i * len, s.length);
      for (int j = 0; j < s.length; j++) {
        mask[i * len + j] = 1;
        if (labelMasks != null && labelMasks.get(i)[j]) {
          labels[i * len + j] = 1;
        }
      }
    }
    return new DecoderBatch(ids, mask, labels, n, len);
  }

  public NDArray idsArray(NDManager m) {
    return m.create(ids, new Shape(size, length));
  }

  public NDArray maskArray(NDManager m) {
    return m.create(mask, new Shape(size, length));
  }

  public NDArray labelsArray(NDManager m) {
    return m.create(labels, new Shape(size, length));
  }

  public long tokens() {
    long t = 0;
    for (long x : mask) {
      t += x;
    }
    return t;
  }
}
