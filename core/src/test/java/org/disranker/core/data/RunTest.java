package org.disranker.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The top k of a query follows trec_eval order: score descending, ties by docid descending. */
class RunTest {
  @Test
  void topKIsTheFirstKInEvaluationOrder() {
    Run run = new Run("r", Map.of("q", List.of(new ScoredDoc("a", 1.0, 1),
        new ScoredDoc("b", 3.0, 2), new ScoredDoc("c", 3.0, 3), new ScoredDoc("d", 2.0, 4))));
    assertEquals(List.of("c", "b"), run.top("q", 2).stream().map(ScoredDoc::docid).toList());
    assertEquals(4, run.top("q", 10).size());
    assertEquals(List.of(), run.top("unknown", 3));
  }
}
