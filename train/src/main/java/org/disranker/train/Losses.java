package org.disranker.train;

import ai.djl.ndarray.NDArray;

/** The ranking losses of the paper, on scores laid out [pos0, neg0, pos1, neg1, ...]. */
public final class Losses {
  private Losses() {}

  /** mean over pairs of max(0, T − (s+ − s−)). */
  public static NDArray pairwiseMargin(NDArray scores, double margin) {
    NDArray s = scores.reshape(-1, 2);
    return s.get(":, 0").sub(s.get(":, 1")).neg().add(margin).maximum(0).mean();
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
}
