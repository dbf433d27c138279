package org.disranker.core.metrics;

import java.util.List;
import java.util.Map;
import org.disranker.core.data.ScoredDoc;

/**
 * A ranking metric. {@link #perQuery} sees one query's ranking, already in evaluation order, and
 * that query's judgments (docid to grade; unjudged documents are absent).
 */
public interface Metric {
  /** The name as written on the command line and in reports, e.g. {@code ndcg@10}. */
  String name();

  /** The value for one query, or NaN where the metric is undefined for it. */
  double perQuery(List<ScoredDoc> ranking, Map<String, Integer> judgments);

  /**
   * The value over all evaluated queries. The default is the mean of the defined per-query values
   * (NaN when none is defined); a metric that pools counts over queries overrides it.
   *
   * @param rankings each evaluated query's ranking, in evaluation order
   * @param judgments each evaluated query's judgments, same order
   * @param perQuery this metric's per-query values, same order
   */
  default double summarize(
      List<List<ScoredDoc>> rankings, List<Map<String, Integer>> judgments, double[] perQuery) {
    return meanOfDefined(perQuery);
  }

  /** Mean of the values that are not NaN; NaN when there are none. */
  static double meanOfDefined(double[] values) {
    double sum = 0;
    int n = 0;
    for (double v : values) {
      if (!Double.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }
}
