package org.disranker.model.bert;

import java.util.ArrayList;
import java.util.List;
import org.disranker.core.util.Progress;
import org.disranker.model.tokenize.PairTokenizer;

/** Scores padded batches of encoded pairs: a DJL model, an ONNX Runtime session, ... */
public interface PairScorer {
  /** One score per pair of the batch. */
  float[] score(Batch batch);

  /**
   * Scores many pairs: encodes them, sorts them by length so that each batch pads little, scores
   * batch by batch with a progress bar, and returns the scores in input order.
   */
  static float[] scoreAll(PairScorer scorer, PairTokenizer tok, List<String> queries,
      List<String> documents, int batchSize, String label) {
    List<PairTokenizer.Pair> pairs = tok.encodeAll(queries, documents);
    List<Integer> order = Batch.lengthOrder(pairs);
    float[] out = new float[pairs.size()];
    try (Progress p = Progress.start(label, pairs.size())) {
      for (int s = 0; s < order.size(); s += batchSize) {
        List<Integer> idx = order.subList(s, Math.min(order.size(), s + batchSize));
        List<PairTokenizer.Pair> chunk = new ArrayList<>(idx.size());
        idx.forEach(i -> chunk.add(pairs.get(i)));
        float[] sc = scorer.score(Batch.of(chunk));
        for (int j = 0; j < idx.size(); j++) {
          out[idx.get(j)] = sc[j];
        }
        p.step(idx.size());
      }
    }
    return out;
  }
}
