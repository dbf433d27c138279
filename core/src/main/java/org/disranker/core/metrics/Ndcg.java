package org.disranker.core.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.ScoredDoc;

/**
 * nDCG@k as trec_eval's {@code ndcg_cut}: DCG = Σ_{i<k} gain(rel_i) / log2(i + 2) over the ranking,
 * divided by the DCG of the ideal ranking built from all judged documents of the query (retrieved
 * or not). Unjudged documents and grades ≤ 0 gain nothing. A query without any positive judgment
 * scores 0. Gain is linear (the grade, trec_eval's default) or exponential (2^grade − 1).
 */
public final class Ndcg implements Metric {
  /** How a grade becomes a gain. */
  public enum Gain {
    LINEAR,
    EXPONENTIAL;

    double of(int grade) {
      if (grade <= 0) {
        return 0;
      }
      return this == LINEAR ? grade : Math.pow(2, grade) - 1;
    }
  }

  private final int k;
  private final Gain gain;

  public Ndcg(int k, Gain gain) {
    if (k <= 0) {
      throw new IllegalArgumentException("nDCG cutoff must be positive, got " + k);
    }
    this.k = k;
    this.gain = gain;
  }

  @Override
  public String name() {
    return "ndcg@" + k + (gain == Gain.EXPONENTIAL ? "-exp" : "");
  }

  @Override
  public double perQuery(List<ScoredDoc> ranking, Map<String, Integer> judgments) {
    double dcg = 0;
    int n = Math.min(k, ranking.size());
    for (int i = 0; i < n; i++) {
      Integer g = judgments.get(ranking.get(i).docid());
      if (g != null) {
        dcg += gain.of(g) / log2(i + 2);
      }
    }
    List<Double> gains = new ArrayList<>();
    for (int g : judgments.values()) {
      double v = gain.of(g);
      if (v > 0) {
        gains.add(v);
      }
    }
    gains.sort((a, b) -> Double.compare(b, a));
    double ideal = 0;
    for (int i = 0; i < Math.min(k, gains.size()); i++) {
      ideal += gains.get(i) / log2(i + 2);
    }
    return ideal > 0 ? dcg / ideal : 0.0;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
