package org.disranker.core.metrics;

import java.util.List;
import java.util.Map;
import org.disranker.core.data.ScoredDoc;

/**
 * MAP as trec_eval's {@code map} (no cutoff) or {@code map_cut_k}: the sum of precision at each
 * relevant retrieved document within the cutoff, divided by the number of relevant judged
 * documents of the query; 0 when the query has none. Relevant means grade ≥ threshold.
 */
public final class AveragePrecision implements Metric {
  private final int k;
  private final int threshold;

  /** @param k cutoff, or {@code Integer.MAX_VALUE} for none */
  public AveragePrecision(int k, int threshold) {
    if (k <= 0) {
      throw new IllegalArgumentException("MAP cutoff must be positive, got " + k);
    }
    this.k = k;
    this.threshold = threshold;
  }

  @Override
  public String name() {
    return k == Integer.MAX_VALUE ? "map" : "map@" + k;
  }

  @Override
  public double perQuery(List<ScoredDoc> ranking, Map<String, Integer> judgments) {
    long numRel = ReciprocalRank.countRelevant(judgments, threshold);
    if (numRel == 0) {
      return 0.0;
    }
    int n = Math.min(k, ranking.size());
    int hits = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      Integer g = judgments.get(ranking.get(i).docid());
      if (g != null && g >= threshold) {
        hits++;
        sum += (double) hits / (i + 1);
      }
    }
    return sum / numRel;
  }
}
