package org.disranker.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.util.Interruption;
import org.disranker.model.bert.BertCheckpoint;

/**
 * Fine-tunes a BERT cross-encoder on graded labels (the paper's "BERT fine-tuned" baseline) with
 * the shared {@link TrainLoop}: each step scores a batch of labelled pairs (dynamic padding) and
 * takes the margin loss max(0, T − (s+ − s−)) or the pointwise squared error against grade /
 * maxGrade. Output layout, checkpoints and resume as in {@link TrainLoop}.
 */
public final class FineTuner {
  /** What a run ended with. */
  public record Result(Path model, long steps, boolean interrupted, List<Double> losses,
      double tokensPerSecond) {}

  private final FineTuneConfig config;
  private final Device device;

  public FineTuner(FineTuneConfig config, Device device) {
    this.config = config;
    this.device = device;
  }

  /**
   * Trains from {@code init} (or from the checkpoint in {@code outDir}) on the pairs, stopping
   * early when {@code stop} is requested or after {@code stopAfter} steps of this call (negative:
   * no limit).
   */
  public Result train(BertCheckpoint init, TrainingPairs pairs, Map<String, Query> queries,
      Map<String, Document> docs, Path outDir, Interruption stop, long stopAfter) {
    TrainLoop.Result r = TrainLoop.run("fine-tune", config, config.schedule(),
        ckpt -> new Task(ckpt == null ? init : BertCheckpoint.load(ckpt), pairs, queries, docs),
        outDir, stop, stopAfter);
    return new Result(r.model(), r.steps(), r.interrupted(), r.losses(), r.tokensPerSecond());
  }

  private final class Task extends BertPairTask<TrainingPairs.Pair> {
    final TrainingPairs pairs;

    Task(BertCheckpoint from, TrainingPairs pairs, Map<String, Query> queries,
        Map<String, Document> docs) {
      super(from, device, config.maxLength(), queries, docs);
      this.pairs = pairs;
      headLearningRate(config.learningRate(), config.headLearningRate());
    }

    @Override
    List<TrainingPairs.Pair> batch(long step) {
      return pairs.batch(step, config.batchPairs());
    }


    @Override
    NDArray loss(NDArray scores, List<TrainingPairs.Pair> batch, NDManager sub) {
      if (!config.loss().equals("pointwise")) {
        return Losses.pairwiseMargin(scores, config.margin());
      }
      float[] targets = new float[2 * batch.size()];
      for (int i = 0; i < batch.size(); i++) {
        targets[2 * i] = (float) batch.get(i).posGrade() / config.maxGrade();
        targets[2 * i + 1] = (float) batch.get(i).negGrade() / config.maxGrade();
      }
      return Losses.pointwise(scores, sub.create(targets));
    }
  }
}
