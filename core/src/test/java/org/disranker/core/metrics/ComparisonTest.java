package org.disranker.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComparisonTest {
  static Evaluation eval(String name, double... values) {
    Map<String, Double> pq = new LinkedHashMap<>();
    List<String> qids = new java.util.ArrayList<>();
    double sum = 0;
    for (int i = 0; i < values.length; i++) {
      qids.add("q" + i);
      pq.put("q" + i, values[i]);
      sum += values[i];
    }
    return new Evaluation(name, qids, Map.of("m", sum / values.length), Map.of("m", pq));
  }

  @Test
  void deltaGsbCountsGoodSameBadPerQuery() {
    Comparison c = Comparison.of(eval("a", 0.5, 0.3, 0.2, 0.4), eval("b", 0.4, 0.3, 0.3, 0.1),
        "m", 1000, 1);
    assertEquals(2, c.good());
    assertEquals(1, c.same());
    assertEquals(1, c.bad());
    assertEquals(0.25, c.deltaGsb(), 1e-12);
    assertEquals(0.35 - 0.275, c.delta(), 1e-12);
  }

  @Test
  void pairedTTestMatchesScipy() {
    // scipy.stats.ttest_rel([1,2,3,4,5], [0]*5): t = 4.2426, p = 0.013235599563682
    assertEquals(0.01323559956368269, Comparison.pairedTTest(new double[] {1, 2, 3, 4, 5}), 1e-9);
    assertEquals(1.0, Comparison.pairedTTest(new double[] {0, 0, 0}));
    assertTrue(Double.isNaN(Comparison.pairedTTest(new double[] {1})));
  }

  @Test
  void randomizationTestApproachesTheExactPermutationPValueAndIsSeeded() {
    // five equal positive differences: exactly 2 of the 32 sign patterns reach |sum| = 5
    double[] d = {1, 1, 1, 1, 1};
    double p = Comparison.randomizationTest(d, 20000, 7);
    assertEquals(2.0 / 32, p, 0.01);
    assertEquals(p, Comparison.randomizationTest(d, 20000, 7));
    // no difference at all: every flip ties the observed 0
    assertEquals(1.0, Comparison.randomizationTest(new double[] {0, 0}, 100, 1));
  }

  @Test
  void undefinedValuesAreLeftOutOfTheComparison() {
    Comparison c = Comparison.of(eval("a", 0.5, Double.NaN), eval("b", 0.4, 0.2), "m", 10, 1);
    assertEquals(1, c.queries());
    assertEquals(1, c.good());
  }
}
