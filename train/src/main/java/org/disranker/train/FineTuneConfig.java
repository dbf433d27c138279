package org.disranker.train;

/**
 * Settings of fine-tuning a cross-encoder on graded labels.
 *
 * @param loss {@code margin}: mean of max(0, T − (s+ − s−)) over pairs; {@code pointwise}: mean
 *     squared error between each score and grade / maxGrade
 * @param margin T of the margin loss
 * @param steps optimizer steps
 * @param batchPairs pairs per step (each pair is two sequences)
 * @param learningRate peak learning rate of AdamW
 * @param headLearningRate peak learning rate of the scoring head; 0 for the encoder's
 * @param warmup share of the steps with a linear warm-up; linear decay to 0 after it
 * @param weightDecay AdamW decoupled weight decay (not on biases and LayerNorm)
 * @param maxGradNorm global gradient-norm clip (0 for none)
 * @param maxLength tokens per pair, document truncated first
 * @param capPerQuery training pairs sampled per query at most
 * @param maxGrade top grade of the labels (3 on TREC DL), for the pointwise target
 * @param seed seed of pair sampling and order
 * @param checkpointEvery steps between checkpoints (0: only at the end or on interruption)
 */
public record FineTuneConfig(
    String loss,
    double margin,
    int steps,
    int batchPairs,
    double learningRate,
    double headLearningRate,
    double warmup,
    double weightDecay,
    double maxGradNorm,
    int maxLength,
    int capPerQuery,
    int maxGrade,
    long seed,
    int checkpointEvery) {

  public FineTuneConfig {
    if (!loss.equals("margin") && !loss.equals("pointwise")) {
      throw new IllegalArgumentException("loss must be margin or pointwise, not '" + loss + "'");
    }
    if (steps <= 0 || batchPairs <= 0) {
      throw new IllegalArgumentException("steps and batch size must be positive");
    }
    if (warmup < 0 || warmup >= 1) {
      throw new IllegalArgumentException("warm-up share must be in [0, 1)");
    }
  }

  /** The optimizer schedule of these settings. */
  public TrainLoop.Schedule schedule() {
    return new TrainLoop.Schedule(steps, learningRate, warmup, weightDecay, maxGradNorm,
        checkpointEvery);
  }

  /** Learning rate at a 0-based step: linear warm-up, then linear decay to zero. */
  public double learningRateAt(long step) {
    return schedule().learningRateAt(step);
  }
}
