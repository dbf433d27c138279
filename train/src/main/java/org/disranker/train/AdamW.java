package org.disranker.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.disranker.model.io.Tensor;

/**
 * AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization"): per parameter, m = β1·m
 * + (1 − β1)·g, v = β2·v + (1 − β2)·g², θ −= lr · (m̂ / (√v̂ + ε) + λ·θ) with bias-corrected m̂, v̂.
 * Biases and normalisation weights (BERT's LayerNorm, a decoder's RMSNorm) get no weight decay;
 * a parameter's learning rate may be a multiple of the schedule's. Gradients are clipped to a global L2 norm
 * first and zeroed after the update (the engine accumulates them otherwise). Updates run outside
 * any gradient collector, in place.
 */
public final class AdamW {
  private final Map<String, NDArray> params;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private long step;
  private final java.util.List<String> nonFinite = new java.util.ArrayList<>();

  public AdamW(Map<String, NDArray> params, double beta1, double beta2, double eps,
      double weightDecay) {
    this.params = params;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    params.forEach((name, p) -> {
      m.put(name, p.zerosLike());
      v.put(name, p.zerosLike());
    });
  }

  public static AdamW withDefaults(Map<String, NDArray> params, double weightDecay) {
    return new AdamW(params, 0.9, 0.999, 1e-8, weightDecay);
  }

  public long step() {
    return step;
  }

  /** Parameters whose gradient was not finite in the last update (for diagnostics). */
  public java.util.List<String> nonFiniteGradients() {
    return java.util.List.copyOf(nonFinite);
  }

  /**
   * Whether weight decay applies: to weights, not to biases nor to normalisation scales (BERT's
   * {@code LayerNorm}, a Llama's {@code input_layernorm}, {@code post_attention_layernorm} and
   * {@code model.norm}).
   */
  static boolean decays(String name) {
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    return name.endsWith(".weight") && !lower.contains("norm.") && !lower.endsWith("norm");
  }

  /**
   * Clips gradients to {@code maxNorm} (if positive), applies one update with learning rate
   * {@code lr}, zeroes the gradients.
   *
   * @return the global gradient norm before clipping; when it is not finite the step is skipped
   *     (weights and moments untouched, gradients zeroed) and the caller decides what to do
   */
  public double update(double lr, double maxNorm) {
    return update(lr, maxNorm, name -> 1.0);
  }

  /** As {@link #update(double, double)}, each parameter's rate scaled by {@code scale}. */
  public double update(double baseLr, double maxNorm,
      java.util.function.ToDoubleFunction<String> scale) {
    step++;
    try (NDManager tmp = firstManager().newSubManager()) {
      Map<String, NDArray> grads = new LinkedHashMap<>();
      double sq = 0;
      nonFinite.clear();
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray g = e.getValue().getGradient();
        g.attach(tmp);
        grads.put(e.getKey(), g);
        double n = g.norm().getFloat();
        if (!Double.isFinite(n)) {
          nonFinite.add(e.getKey());
        }
        sq += n * n;
      }
      double norm = Math.sqrt(sq);
      if (!Double.isFinite(norm)) {
        // never write NaN or infinity into the weights or moments: skip this step
        for (NDArray g : grads.values()) {
          g.muli(0); // infinities become NaN here, and NaN becomes 0 below
          g.set(g.isNaN(), 0f);
        }
        step--;
        return norm;
      }
      double clip = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
      double bc1 = 1 - Math.pow(beta1, step);
      double bc2 = 1 - Math.pow(beta2, step);
      // m̂ / (√v̂ + ε) = m · (√bc2 / bc1) / (√v + ε·√bc2): fewer full-size temporaries
      double epsHat = eps * Math.sqrt(bc2);
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        double lr = baseLr * scale.applyAsDouble(name);
        double stepSize = lr * Math.sqrt(bc2) / bc1;
        NDArray p = e.getValue();
        NDArray g = grads.get(name);
        if (clip != 1.0) {
          g.muli(clip);
        }
        NDArray mi = m.get(name);
        NDArray vi = v.get(name);
        mi.muli(beta1).addi(g.mul(1 - beta1));
        vi.muli(beta2).addi(g.muli(g).muli(1 - beta2));
        NDArray denom = vi.sqrt().addi(epsHat);
        NDArray upd = mi.div(denom).muli(stepSize);
        denom.close();
        if (weightDecay > 0 && decays(name)) {
          p.muli(1 - lr * weightDecay);
        }
        p.subi(upd);
        upd.close();
        g.muli(0);
      }
      return norm;
    }
  }

  private NDManager firstManager() {
    return params.values().iterator().next().getManager();
  }

  /** Optimizer state for a checkpoint: m and v of every parameter. */
  public Map<String, Tensor> state() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    m.forEach((k, a) -> out.put("m." + k, Tensor.ofFloats(a.getShape().getShape(),
        a.toFloatArray())));
    v.forEach((k, a) -> out.put("v." + k, Tensor.ofFloats(a.getShape().getShape(),
        a.toFloatArray())));
    return out;
  }

  /** Restores state written by {@link #state()} at the given step. */
  public void load(Map<String, Tensor> state, long atStep) {
    for (String k : params.keySet()) {
      copyInto(m.get(k), state.get("m." + k), k);
      copyInto(v.get(k), state.get("v." + k), k);
    }
    step = atStep;
  }

  static void copyInto(NDArray target, Tensor t, String name) {
    if (t == null) {
      throw new IllegalArgumentException("optimizer state lacks " + name);
    }
    NDArray src = target.getManager().create(t.toFloats(), target.getShape());
    target.set(src.toFloatArray());
    src.close();
  }

}
