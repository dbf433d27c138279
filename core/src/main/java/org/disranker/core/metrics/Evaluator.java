package org.disranker.core.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;

/**
 * Evaluates runs against qrels, as trec_eval does by default: each run list is put in evaluation
 * order (see {@link Run.Order}), and the queries evaluated are those with judgments that the run
 * answers. With {@code complete} (trec_eval {@code -c}) every judged query counts, a query missing
 * from the run counting as an empty ranking. Run queries without judgments are not evaluated.
 */
public final class Evaluator {
  private final List<Metric> metrics;
  private final Run.Order order;
  private final boolean complete;

  public Evaluator(List<Metric> metrics, Run.Order order, boolean complete) {
    if (metrics.isEmpty()) {
      throw new IllegalArgumentException("no metrics");
    }
    this.metrics = List.copyOf(metrics);
    this.order = order;
    this.complete = complete;
  }

  public List<Metric> metrics() {
    return metrics;
  }

  public Evaluation evaluate(Qrels qrels, Run run) {
    List<String> qids = new ArrayList<>();
    List<List<ScoredDoc>> rankings = new ArrayList<>();
    List<Map<String, Integer>> judgments = new ArrayList<>();
    for (String q : qrels.queryIds()) {
      if (!complete && !run.queryIds().contains(q)) {
        continue;
      }
      qids.add(q);
      rankings.add(rankingOf(run, q));
      judgments.add(qrels.judgments(q));
    }
    Map<String, Double> summary = new LinkedHashMap<>();
    Map<String, Map<String, Double>> perQuery = new LinkedHashMap<>();
    for (Metric m : metrics) {
      double[] values = new double[qids.size()];
      Map<String, Double> pq = new LinkedHashMap<>();
      for (int i = 0; i < qids.size(); i++) {
        values[i] = m.perQuery(rankings.get(i), judgments.get(i));
        pq.put(qids.get(i), values[i]);
      }
      summary.put(m.name(), qids.isEmpty() ? Double.NaN : m.summarize(rankings, judgments, values));
      perQuery.put(m.name(), pq);
    }
    return new Evaluation(run.name(), qids, summary, perQuery);
  }

  /** A query's ranking in evaluation order; under RANK order, scores become minus the position. */
  private List<ScoredDoc> rankingOf(Run run, String qid) {
    List<ScoredDoc> l = run.ordered(qid, order);
    if (order == Run.Order.SCORE) {
      return l;
    }
    List<ScoredDoc> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      out.add(new ScoredDoc(l.get(i).docid(), -(i + 1), i + 1));
    }
    return out;
  }
}
