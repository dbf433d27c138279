package org.disranker.core.metrics;

import java.util.List;
import java.util.Map;
import org.disranker.core.data.ScoredDoc;

/** MRR@k: 1 / rank of the first document graded at least the threshold within the top k, else 0. */
public final class ReciprocalRank implements Metric {
  private final int k;
  private final int threshold;

  /** @param k cutoff, or {@code Integer.MAX_VALUE} for none */
  public ReciprocalRank(int k, int threshold) {
    if (k <= 0) {
      throw new IllegalArgumentException("MRR cutoff must be positive, got " + k);
    }
    this.k = k;
    this.threshold = threshold;
  }

  @Override
  public String name() {
    return k == Integer.MAX_VALUE ? "mrr" : "mrr@" + k;
  }

  @Override
  public double perQuery(List<ScoredDoc> ranking, Map<String, Integer> judgments) {
    int n = Math.min(k, ranking.size());
    for (int i = 0; i < n; i++) {
      Integer g = judgments.get(ranking.get(i).docid());
      if (g != null && g >= threshold) {
        return 1.0 / (i + 1);
      }
    }
    return 0.0;
  }

  /** Judged documents of grade at least {@code threshold}. */
  static long countRelevant(Map<String, Integer> judgments, int threshold) {
    return judgments.values().stream().filter(g -> g >= threshold).count();
  }
}
