package org.disranker.core.metrics;

import java.util.List;
import java.util.Map;
import org.disranker.core.data.ScoredDoc;

/**
 * Recall@k: relevant documents (grade ≥ threshold) in the top k over all relevant judged documents
 * of the query; 0 when the query has none (trec_eval's {@code recall_k}).
 */
public final class Recall implements Metric {
  private final int k;
  private final int threshold;

  public Recall(int k, int threshold) {
    if (k <= 0) {
      throw new IllegalArgumentException("recall cutoff must be positive, got " + k);
    }
    this.k = k;
    this.threshold = threshold;
  }

  @Override
  public String name() {
    return "recall@" + k;
  }

  @Override
  public double perQuery(List<ScoredDoc> ranking, Map<String, Integer> judgments) {
    long numRel = ReciprocalRank.countRelevant(judgments, threshold);
    if (numRel == 0) {
      return 0.0;
    }
    int n = Math.min(k, ranking.size());
    int hits = 0;
    for (int i = 0; i < n; i++) {
      Integer g = judgments.get(ranking.get(i).docid());
      if (g != null && g >= threshold) {
        hits++;
      }
    }
    return (double) hits / numRel;
  }
}
