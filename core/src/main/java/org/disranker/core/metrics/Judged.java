package org.disranker.core.metrics;

import java.util.List;
import java.util.Map;
import org.disranker.core.data.ScoredDoc;

/**
 * Judged@k: the share of a ranking's top k that has a judgment (any grade). Metrics such as nDCG
 * count an unjudged document as not relevant, so a ranker that surfaces documents the assessors
 * never saw is underrated; a low judged@k flags that (as in the TREC Deep Learning overviews).
 */
public final class Judged implements Metric {
  private final int k;

  public Judged(int k) {
    if (k <= 0) {
      throw new IllegalArgumentException("judged cutoff must be positive, got " + k);
    }
    this.k = k;
  }

  @Override
  public String name() {
    return "judged@" + k;
  }

  @Override
  public double perQuery(List<ScoredDoc> ranking, Map<String, Integer> judgments) {
    int n = Math.min(k, ranking.size());
    if (n == 0) {
      return 0.0;
    }
    int judged = 0;
    for (int i = 0; i < n; i++) {
      if (judgments.containsKey(ranking.get(i).docid())) {
        judged++;
      }
    }
    return (double) judged / n;
  }
}
