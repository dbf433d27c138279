package org.disranker.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Run;
import org.disranker.core.data.TopK;
import org.disranker.core.metrics.Evaluation;
import org.disranker.core.metrics.Evaluator;
import org.disranker.core.metrics.Metrics;
import org.disranker.core.metrics.Ndcg;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.bert.DjlScorer;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * A labelled validation set a training run scores every {@code every} steps, to draw learning
 * curves and choose settings without looking at the test set: the first-stage top k of a
 * collection's queries, reranked by the model being trained, evaluated with nDCG@10 and PNR.
 *
 * @param name what the report calls it (e.g. {@code dl19})
 * @param scorer how the current weights score the pairs; null for the training model itself on
 *     DJL (a caller can export them to a faster engine instead)
 * @param atStart whether a run that starts at step 0 validates before its first step; false for
 *     a run that continues a model another run already validated at its end
 */
public record Validation(String name, TopK pairs, Qrels qrels, int every, int maxLength,
    ScorerFactory scorer, boolean atStart) {
  static final String METRICS = "ndcg@10,pnr";

  /** Opens a scorer of a checkpoint's weights for one validation. */
  @FunctionalInterface
  public interface ScorerFactory {
    CloseableScorer open(BertCheckpoint weights);
  }

  /** A pair scorer that holds resources. */
  public interface CloseableScorer extends PairScorer, AutoCloseable {
    @Override
    void close();
  }

  public Validation(String name, TopK pairs, Qrels qrels, int every, int maxLength) {
    this(name, pairs, qrels, every, maxLength, null, true);
  }

  public Validation(String name, TopK pairs, Qrels qrels, int every, int maxLength,
      ScorerFactory scorer) {
    this(name, pairs, qrels, every, maxLength, scorer, true);
  }

  /** The same validation without the point before the first step. */
  public Validation withoutStart() {
    return new Validation(name, pairs, qrels, every, maxLength, scorer, false);
  }

  public Validation {
    if (every < 1) {
      throw new IllegalArgumentException("validation interval must be at least 1 step");
    }
  }

  /** nDCG@10 and PNR of the model's ranking of the pairs. */
  public Map<String, Double> evaluate(BertModel model, byte[] tokenizerJson) {
    float[] scores;
    try (PairTokenizer tok = new PairTokenizer(tokenizerJson, maxLength)) {
      if (scorer == null) {
        scores = PairScorer.scoreAll(new DjlScorer(model), tok, pairs.queries(),
            pairs.documents(), 32, "validate " + name);
      } else {
        try (CloseableScorer s = scorer.open(model.toCheckpoint(tokenizerJson))) {
          scores = PairScorer.scoreAll(s, tok, pairs.queries(), pairs.documents(), 48,
              "validate " + name);
        }
      }
    }
    Run run = pairs.toRun(scores, "validation");
    Evaluation e = new Evaluator(Metrics.parse(METRICS, Ndcg.Gain.LINEAR, 1), Run.Order.SCORE,
        false).evaluate(qrels, run);
    Map<String, Double> out = new LinkedHashMap<>();
    e.summary().forEach(out::put);
    return out;
  }
}
