package org.disranker.core.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * Compares a run with a baseline query by query, for one metric: ΔGSB and two paired,
 * two-sided significance tests. Only queries evaluated in both runs with a defined value in both
 * take part.
 *
 * <p>ΔGSB (DisRanker paper, §5): a query is Good when the run beats the baseline on the metric,
 * Bad when it loses, Same otherwise (difference within {@value #SAME_EPSILON}); ΔGSB = (#Good −
 * #Bad) / (#Good + #Same + #Bad).
 *
 * <p>Tests: Student's paired t-test, and a paired randomization (sign-flip) test with a seeded
 * generator, p = (1 + #{|mean of flipped differences| ≥ |observed mean|}) / (1 + trials).
 */
public record Comparison(
    String metric,
    int queries,
    double runMean,
    double baselineMean,
    int good,
    int same,
    int bad,
    double tTestP,
    double randomizationP) {

  /** Differences smaller than this count as Same. */
  public static final double SAME_EPSILON = 1e-9;

  public double delta() {
    return runMean - baselineMean;
  }

  /** (#Good − #Bad) / (#Good + #Same + #Bad); NaN without queries. */
  public double deltaGsb() {
    int n = good + same + bad;
    return n == 0 ? Double.NaN : (double) (good - bad) / n;
  }

  /** Compares {@code run} against {@code baseline} on {@code metric}. */
  public static Comparison of(
      Evaluation run, Evaluation baseline, String metric, int trials, long seed) {
    var a = run.perQuery().get(metric);
    var b = baseline.perQuery().get(metric);
    if (a == null || b == null) {
      throw new IllegalArgumentException("metric '" + metric + "' missing from an evaluation");
    }
    List<double[]> pairs = new ArrayList<>();
    for (String q : run.queryIds()) {
      Double x = a.get(q);
      Double y = b.get(q);
      if (x != null && y != null && Double.isFinite(x) && Double.isFinite(y)) {
        pairs.add(new double[] {x, y});
      }
    }
    int n = pairs.size();
    double[] diff = new double[n];
    double sumA = 0;
    double sumB = 0;
    int good = 0;
    int same = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
      double[] p = pairs.get(i);
      sumA += p[0];
      sumB += p[1];
      diff[i] = p[0] - p[1];
      if (diff[i] > SAME_EPSILON) {
        good++;
      } else if (diff[i] < -SAME_EPSILON) {
        bad++;
      } else {
        same++;
      }
    }
    return new Comparison(metric, n, n == 0 ? Double.NaN : sumA / n,
        n == 0 ? Double.NaN : sumB / n, good, same, bad, pairedTTest(diff),
        randomizationTest(diff, trials, seed));
  }

  /** Two-sided p-value of the paired t-test on the differences; NaN for fewer than 2. */
  public static double pairedTTest(double[] diff) {
    int n = diff.length;
    if (n < 2) {
      return Double.NaN;
    }
    double mean = 0;
    for (double d : diff) {
      mean += d;
    }
    mean /= n;
    double ss = 0;
    for (double d : diff) {
      ss += (d - mean) * (d - mean);
    }
    double sd = Math.sqrt(ss / (n - 1));
    if (sd == 0) {
      return Math.abs(mean) <= SAME_EPSILON ? 1.0 : 0.0;
    }
    double t = mean / (sd / Math.sqrt(n));
    TDistribution dist = new TDistribution(null, n - 1);
    return 2 * dist.cumulativeProbability(-Math.abs(t));
  }

  /** Two-sided p-value of the paired sign-flip randomization test; NaN without differences. */
  public static double randomizationTest(double[] diff, int trials, long seed) {
    int n = diff.length;
    if (n == 0) {
      return Double.NaN;
    }
    if (trials <= 0) {
      throw new IllegalArgumentException("trials must be positive");
    }
    double observed = 0;
    for (double d : diff) {
      observed += d;
    }
    observed = Math.abs(observed);
    Random rnd = new Random(seed);
    int atLeast = 0;
    for (int t = 0; t < trials; t++) {
      double s = 0;
      for (double d : diff) {
        s += rnd.nextBoolean() ? d : -d;
      }
      if (Math.abs(s) >= observed - 1e-12) {
        atLeast++;
      }
    }
    return (1.0 + atLeast) / (1.0 + trials);
  }
}
