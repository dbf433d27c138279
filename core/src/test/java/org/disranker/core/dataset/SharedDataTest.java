package org.disranker.core.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.disranker.core.data.Run;
import org.disranker.core.metrics.Evaluation;
import org.disranker.core.metrics.Evaluator;
import org.disranker.core.metrics.Metrics;
import org.disranker.core.metrics.Ndcg;
import org.junit.jupiter.api.Test;

/**
 * The readers and nDCG on the real collections of ../shared/data. The BM25 runs of TREC DL must
 * give the published trec_eval ndcg_cut_10 (Anserini regressions: 0.5058 on DL19, 0.4796 on DL20).
 */
class SharedDataTest {
  static Path data(String sub) {
    Path p = Datasets.dataRoot().resolve(sub);
    assumeTrue(Files.isDirectory(p), "shared data not found at " + p);
    return p;
  }

  static double bm25Ndcg10(String name) {
    Dataset d = Datasets.open(data("trec-dl/" + name), null);
    Evaluation e = new Evaluator(Metrics.parse("ndcg@10", Ndcg.Gain.LINEAR, 1), Run.Order.SCORE,
        false).evaluate(d.qrels(), d.firstStage());
    return e.value("ndcg@10");
  }

  @Test
  void dl19Bm25MatchesTrecEval() {
    assertEquals(0.5058, bm25Ndcg10("dl19"), 5e-5);
  }

  @Test
  void dl20Bm25MatchesTrecEval() {
    assertEquals(0.4796, bm25Ndcg10("dl20"), 5e-5);
  }

  @Test
  void dl19Shape() {
    Dataset d = Datasets.open(data("trec-dl/dl19"), null);
    assertEquals(43, d.queries().size());
    assertEquals(43, d.qrels().queryIds().size());
    assertEquals(14602, d.pool().values().stream().mapToInt(java.util.List::size).sum());
  }

  @Test
  void dl22IsAnUnlabeledPool() {
    Dataset d = Datasets.open(data("trec-dl/dl22"), null);
    assertEquals(76, d.queries().size());
    assertEquals(0, d.qrels().size());
  }

  @Test
  void cranfieldShape() {
    Dataset d = Datasets.open(data("cranfield"), null);
    assertEquals(1400, d.documents().size());
    assertEquals(225, d.queries().size());
    assertEquals(1837, d.qrels().size());
  }

  @Test
  void nfCorpusShape() {
    Dataset d = Datasets.open(data("nfcorpus"), null);
    assertEquals(3395, d.documents().size());
    assertEquals(323, d.qrels().queryIds().size());
  }
}
