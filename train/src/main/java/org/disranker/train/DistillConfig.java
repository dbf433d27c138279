package org.disranker.train;

import java.util.List;

/**
 * Settings of distilling a teacher into the student (DisRanker stage 4).
 *
 * @param loss point, margin or hybrid (point + beta · margin, the paper's)
 * @param beta weight of the margin term (the paper uses 0.4)
 * @param batch triplets per step
 * @param sampling all, top or hard (see {@link TeacherSignal})
 * @param normalize teacher score normalisation per query: none, zscore or minmax
 */
public record DistillConfig(
    String loss,
    double beta,
    int steps,
    int batch,
    double learningRate,
    double warmup,
    double weightDecay,
    double maxGradNorm,
    int maxLength,
    String sampling,
    int topN,
    int window,
    int capPerQuery,
    String normalize,
    long seed,
    int checkpointEvery) {

  public DistillConfig {
    if (!List.of("point", "margin", "hybrid").contains(loss)) {
      throw new IllegalArgumentException("loss must be point, margin or hybrid, not '" + loss
          + "'");
    }
  }

  public TrainLoop.Schedule schedule() {
    return new TrainLoop.Schedule(steps, learningRate, warmup, weightDecay, maxGradNorm,
        checkpointEvery);
  }
}
