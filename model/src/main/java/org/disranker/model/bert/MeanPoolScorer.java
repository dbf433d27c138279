package org.disranker.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.util.Progress;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * Zero-shot bi-encoder scoring with a sentence-embedding BERT (all-MiniLM-L6-v2's recipe): each
 * text is encoded alone as {@code [CLS] text [SEP]}, its token states are mean-pooled over the
 * attention mask and L2-normalised, and a pair scores the cosine of its two embeddings.
 */
public final class MeanPoolScorer {
  private final BertModel model;
  private final PairTokenizer tok;

  public MeanPoolScorer(BertModel model, PairTokenizer tok) {
    this.model = model;
    this.tok = tok;
  }

  /** Normalised embeddings of texts, computed in length-sorted batches. */
  public float[][] embed(List<String> texts, int batchSize) {
    int h = model.config().hiddenSize();
    List<PairTokenizer.Pair> enc = new ArrayList<>(texts.size());
    for (String t : texts) {
      enc.add(tok.single(t));
    }
    List<Integer> order = Batch.lengthOrder(enc);
    float[][] out = new float[texts.size()][];
    try (Progress p = Progress.start("embed", texts.size())) {
      for (int s = 0; s < order.size(); s += batchSize) {
        List<Integer> idx = order.subList(s, Math.min(order.size(), s + batchSize));
        List<PairTokenizer.Pair> chunk = new ArrayList<>();
        idx.forEach(i -> chunk.add(enc.get(i)));
        Batch b = Batch.of(chunk);
        try (NDManager m = model.manager().newSubManager()) {
          NDArray mask = b.maskArray(m).toType(DataType.FLOAT32, false).expandDims(-1);
          NDArray states = model.encode(b.idsArray(m), b.typesArray(m), b.maskArray(m));
          NDArray pooled = states.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}));
          NDArray norm = pooled.norm(new int[] {1}, true).maximum(1e-12f);
          float[] flat = pooled.div(norm).toFloatArray();
          for (int i = 0; i < chunk.size(); i++) {
            float[] e = new float[h];
            System.arraycopy(flat, i * h, e, 0, h);
            out[idx.get(i)] = e;
          }
        }
        p.step(chunk.size());
      }
    }
    return out;
  }

  /** Cosine similarity of each (query, document) pair; texts are embedded once each. */
  public float[] score(List<String> queries, List<String> documents, int batchSize) {
    Map<String, Integer> index = new HashMap<>();
    List<String> unique = new ArrayList<>();
    for (List<String> l : List.of(queries, documents)) {
      for (String t : l) {
        if (index.putIfAbsent(t, unique.size()) == null) {
          unique.add(t);
        }
      }
    }
    float[][] e = embed(unique, batchSize);
    float[] out = new float[queries.size()];
    for (int i = 0; i < out.length; i++) {
      float[] a = e[index.get(queries.get(i))];
      float[] b = e[index.get(documents.get(i))];
      double dot = 0;
      for (int j = 0; j < a.length; j++) {
        dot += a[j] * b[j];
      }
      out[i] = (float) dot;
    }
    return out;
  }
}
