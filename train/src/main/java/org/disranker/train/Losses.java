package org.disranker.train;

import ai.djl.ndarray.NDArray;

/**
 * The ranking losses of the paper, on scores laid out [pos0, neg0, pos1, neg1, ...].
 *
 * <p>Constants that the backward pass reads again (a factor, the other operand of a maximum) are
 * arrays in the step's manager, never Java numbers: the engine wraps a number in a native scalar
 * whose memory the garbage collector may reclaim before backward runs.
 */
public final class Losses {
  private Losses() {}

  /** mean over pairs of max(0, T − (s+ − s−)). */
  public static NDArray pairwiseMargin(NDArray scores, double margin) {
    NDArray s = scores.reshape(-1, 2);
    NDArray zero = scores.getManager().create(0f);
    return s.get(":, 0").sub(s.get(":, 1")).neg().add((float) margin).maximum(zero).mean();
  }

  /** mean squared error between scores and targets. */
  public static NDArray pointwise(NDArray scores, NDArray targets) {
    return scores.sub(targets).square().mean();
  }

  /**
   * RankLLaMA-style listwise loss: scores laid out in groups of {@code group} (the positive first,
   * then its negatives); the mean over groups of −log softmax(group)[0].
   */
  public static NDArray listwiseSoftmax(NDArray scores, int group) {
    return scores.reshape(-1, group).logSoftmax(1).get(":, 0").neg().mean();
  }

  /**
   * The distillation losses of the paper, on student and teacher scores laid out [pos0, neg0,
   * pos1, neg1, ...]: {@code point} = MSE(T+, S+) + MSE(T−, S−); {@code margin} = MSE(T+ − T−,
   * S+ − S−); {@code hybrid} = point + β · margin.
   */
  public static NDArray distill(NDArray student, NDArray teacher, String mode, double beta) {
    NDArray s = student.reshape(-1, 2);
    NDArray t = teacher.reshape(-1, 2);
    NDArray point = s.get(":, 0").sub(t.get(":, 0")).square().mean()
        .add(s.get(":, 1").sub(t.get(":, 1")).square().mean());
    NDArray margin = s.get(":, 0").sub(s.get(":, 1")).sub(t.get(":, 0").sub(t.get(":, 1")))
        .square().mean();
    return switch (mode) {
      case "point" -> point;
      case "margin" -> margin;
      case "hybrid" -> point.add(margin.mul(student.getManager().create((float) beta)));
      default -> throw new IllegalArgumentException("distillation loss must be point, margin or"
          + " hybrid, not '" + mode + "'");
    };
  }
}
