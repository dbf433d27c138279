package org.disranker.model.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Encodes (query, document) pairs for a BERT cross-encoder as {@code [CLS] query [SEP] document
 * [SEP]} with token types 0 then 1, using a Hugging Face tokenizer.json through DJL. Pairs longer
 * than the maximum length lose document tokens first; only a query that alone leaves no room is
 * cut too. No padding here: batches are padded to their longest pair when they are formed.
 */
public final class PairTokenizer implements AutoCloseable {
  /** One encoded pair. */
  public record Pair(long[] ids, long[] typeIds) {
    public int length() {
      return ids.length;
    }
  }

  public static final int DEFAULT_MAX_LENGTH = 256;

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final long cls;
  private final long sep;

  public PairTokenizer(byte[] tokenizerJson, int maxLength) {
    if (maxLength < 4) {
      throw new IllegalArgumentException("max length must be at least 4, got " + maxLength);
    }
    try {
      tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
          Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.maxLength = maxLength;
    long[] special = tokenizer.encode("", true, false).getIds();
    if (special.length != 2) {
      throw new IllegalArgumentException("tokenizer does not frame a text with [CLS] ... [SEP]");
    }
    cls = special[0];
    sep = special[1];
  }

  public int maxLength() {
    return maxLength;
  }

  /** Token ids of a text without special tokens. */
  public long[] tokens(String text) {
    return tokenizer.encode(text, false, false).getIds();
  }

  public Pair encode(String query, String document) {
    return frame(tokens(query), tokens(document));
  }

  /** Encodes many pairs, tokenizing in batches through the native tokenizer. */
  public List<Pair> encodeAll(List<String> queries, List<String> documents) {
    if (queries.size() != documents.size()) {
      throw new IllegalArgumentException("queries and documents differ in number");
    }
    Encoding[] q = tokenizer.batchEncode(queries, false, false);
    Encoding[] d = tokenizer.batchEncode(documents, false, false);
    List<Pair> out = new ArrayList<>(q.length);
    for (int i = 0; i < q.length; i++) {
      out.add(frame(q[i].getIds(), d[i].getIds()));
    }
    return out;
  }

  /** One text alone, {@code [CLS] text [SEP]}, truncated to the maximum length. */
  public Pair single(String text) {
    long[] t = tokens(text);
    int keep = Math.min(t.length, maxLength - 2);
    long[] ids = new long[keep + 2];
    ids[0] = cls;
    System.arraycopy(t, 0, ids, 1, keep);
    ids[keep + 1] = sep;
    return new Pair(ids, new long[ids.length]);
  }

  Pair frame(long[] q, long[] d) {
    int budget = maxLength - 3;
    int dKeep = Math.min(d.length, Math.max(0, budget - q.length));
    int qKeep = Math.min(q.length, budget - dKeep);
    int n = qKeep + dKeep + 3;
    long[] ids = new long[n];
    long[] types = new long[n];
    ids[0] = cls;
    System.arraycopy(q, 0, ids, 1, qKeep);
    ids[qKeep + 1] = sep;
    System.arraycopy(d, 0, ids, qKeep + 2, dKeep);
    ids[n - 1] = sep;
    for (int i = qKeep + 2; i < n; i++) {
      types[i] = 1;
    }
    return new Pair(ids, types);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
