package org.disranker.core.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of evaluating one run: the evaluated query ids, and for each metric (by name, in the
 * order asked) its summary value and its per-query values (NaN where undefined).
 */
public record Evaluation(
    String runName,
    List<String> queryIds,
    Map<String, Double> summary,
    Map<String, Map<String, Double>> perQuery) {

  public Evaluation {
    queryIds = List.copyOf(queryIds);
    summary = Collections.unmodifiableMap(new LinkedHashMap<>(summary));
    Map<String, Map<String, Double>> pq = new LinkedHashMap<>();
    perQuery.forEach((m, v) -> pq.put(m, Collections.unmodifiableMap(new LinkedHashMap<>(v))));
    perQuery = Collections.unmodifiableMap(pq);
  }

  public List<String> metricNames() {
    return List.copyOf(summary.keySet());
  }

  public double value(String metric) {
    Double v = summary.get(metric);
    if (v == null) {
      throw new IllegalArgumentException("metric '" + metric + "' was not evaluated");
    }
    return v;
  }
}
