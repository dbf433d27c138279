package org.disranker.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.junit.jupiter.api.Test;

class EvaluatorTest {
  static Qrels qrels() {
    Qrels.Builder b = Qrels.builder();
    b.add("q1", "d1", 1);
    b.add("q1", "d2", 0);
    b.add("q2", "x", 0); // judged, but nothing relevant
    b.add("q3", "y", 2); // not in the run
    return b.build();
  }

  @Test
  void tiesAreBrokenByDocidDescendingLikeTrecEval() {
    // d1 and d2 tie on score; trec_eval puts d2 (the larger docid) first, whatever the rank column
    Run run = new Run("r", Map.of("q1", List.of(new ScoredDoc("d1", 1.0, 1),
        new ScoredDoc("d2", 1.0, 2))));
    Evaluator ev = new Evaluator(Metrics.parse("ndcg@1,mrr@10", Ndcg.Gain.LINEAR, 1),
        Run.Order.SCORE, false);
    Evaluation e = ev.evaluate(qrels(), run);
    assertEquals(List.of("q1"), e.queryIds());
    assertEquals(0.0, e.value("ndcg@1"));
    assertEquals(0.5, e.value("mrr@10"));
    // Trusting the rank column instead puts d1 first.
    Evaluation byRank = new Evaluator(Metrics.parse("ndcg@1", Ndcg.Gain.LINEAR, 1),
        Run.Order.RANK, false).evaluate(qrels(), run);
    assertEquals(1.0, byRank.value("ndcg@1"));
  }

  @Test
  void scoreOrderIgnoresTheRankColumn() {
    Run run = new Run("r", Map.of("q1", List.of(new ScoredDoc("d2", 0.1, 1),
        new ScoredDoc("d1", 0.9, 2))));
    Evaluation e = new Evaluator(Metrics.parse("ndcg@1", Ndcg.Gain.LINEAR, 1), Run.Order.SCORE,
        false).evaluate(qrels(), run);
    assertEquals(1.0, e.value("ndcg@1"));
  }

  @Test
  void queriesWithoutRelevantDocumentsCountAsZeroAndMissingQueriesOnlyWithComplete() {
    Run run = new Run("r", Map.of(
        "q1", List.of(new ScoredDoc("d1", 2, 1), new ScoredDoc("d2", 1, 2)),
        "q2", List.of(new ScoredDoc("x", 1, 1)),
        "q9", List.of(new ScoredDoc("z", 1, 1)))); // no judgments: not evaluated
    List<Metric> ms = Metrics.parse("ndcg@10", Ndcg.Gain.LINEAR, 1);
    Evaluation e = new Evaluator(ms, Run.Order.SCORE, false).evaluate(qrels(), run);
    assertEquals(List.of("q1", "q2"), e.queryIds());
    assertEquals(0.5, e.value("ndcg@10"), 1e-12);
    assertEquals(0.0, e.perQuery().get("ndcg@10").get("q2"));
    Evaluation c = new Evaluator(ms, Run.Order.SCORE, true).evaluate(qrels(), run);
    assertEquals(List.of("q1", "q2", "q3"), c.queryIds());
    assertEquals(1.0 / 3, c.value("ndcg@10"), 1e-12);
  }
}
