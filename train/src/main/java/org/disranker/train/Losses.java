package org.disranker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

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

  /** The distillation losses {@link #distillGroups} knows. */
  public static final java.util.List<String> DISTILL_LOSSES = java.util.List.of("point",
      "margin", "hybrid", "listwise");

  /**
   * The paper's distillation losses over every triplet a group of documents holds: scores laid
   * out [query][document] in groups of {@code group}; each ordered pair (i, j) of one group with
   * T_i > T_j is a triplet (q, d_i, d_j). Averaged over those triplets: {@code point} = (S_i −
   * T_i)² + (S_j − T_j)², {@code margin} = ((S_i − S_j) − (T_i − T_j))², {@code hybrid} = point +
   * β · margin. With groups of two this is exactly {@link #distill} on triplets. {@code
   * listwise}: the cross-entropy between softmax(T / τ) and softmax(S) over each group (not the
   * paper's loss; the temperature τ sharpens the teacher's distribution towards its top).
   */
  public static NDArray distillGroups(NDArray student, float[] teacher, int group, String mode,
      double beta) {
    return distillGroups(student, teacher, group, mode, beta, 1.0);
  }

  /** As {@link #distillGroups(NDArray, float[], int, String, double)}, with a temperature. */
  public static NDArray distillGroups(NDArray student, float[] teacher, int group, String mode,
      double beta, double temperature) {
    NDManager m = student.getManager();
    int n = teacher.length / group;
    NDArray s = student.reshape(n, group);
    NDArray t = m.create(teacher, new Shape(n, group));
    if (mode.equals("listwise")) {
      float[] sharp = new float[teacher.length];
      for (int i = 0; i < sharp.length; i++) {
        sharp[i] = (float) (teacher[i] / temperature);
      }
      return m.create(sharp, new Shape(n, group)).softmax(1).mul(s.logSoftmax(1))
          .sum(new int[] {1}).neg().mean();
    }
    float[] mask = new float[n * group * group];
    float[] count = new float[n * group];
    float pairs = 0;
    for (int q = 0; q < n; q++) {
      for (int i = 0; i < group; i++) {
        for (int j = 0; j < group; j++) {
          if (teacher[q * group + i] > teacher[q * group + j]) {
            mask[(q * group + i) * group + j] = 1;
            count[q * group + i]++;
            count[q * group + j]++;
            pairs++;
          }
        }
      }
    }
    if (pairs == 0) {
      // the teacher ties every document of every group: nothing to learn from this batch
      return s.sum().mul(m.create(0f));
    }
    NDArray inv = m.create(1f / pairs);
    NDArray point = s.sub(t).square().mul(m.create(count, new Shape(n, group))).sum().mul(inv);
    NDArray ds = s.expandDims(2).sub(s.expandDims(1));
    NDArray dt = t.expandDims(2).sub(t.expandDims(1));
    NDArray margin = ds.sub(dt).square().mul(m.create(mask, new Shape(n, group, group))).sum()
        .mul(inv);
    return switch (mode) {
      case "point" -> point;
      case "margin" -> margin;
      case "hybrid" -> point.add(margin.mul(m.create((float) beta)));
      default -> throw new IllegalArgumentException("distillation loss must be one of "
          + DISTILL_LOSSES + ", not '" + mode + "'");
    };
  }
}
