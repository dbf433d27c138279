package org.disranker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {
  /** loss = Σ (w − target)², so dloss/dw = 2 (w − target). */
  static void backward(NDManager m, NDArray w, float[] target) {
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray loss = w.sub(m.create(target)).square().sum();
      gc.backward(loss);
    }
  }

  @Test
  void twoStepsMatchTheFormulaAndGradientsDoNotAccumulate() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.create(new float[] {1f, -2f});
      w.setRequiresGradient(true);
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("layer.weight", w);
      AdamW opt = new AdamW(params, 0.9, 0.999, 1e-8, 0.1);
      float[] target = {0f, 0f};
      double lr = 0.01;
      double[] ref = {1, -2};
      double[] mm = new double[2];
      double[] vv = new double[2];
      for (int step = 1; step <= 2; step++) {
        backward(m, w, target);
        double norm = opt.update(lr, 0);
        double sq = 0;
        for (int i = 0; i < 2; i++) {
          double g = 2 * ref[i];
          sq += g * g;
          mm[i] = 0.9 * mm[i] + 0.1 * g;
          vv[i] = 0.999 * vv[i] + 0.001 * g * g;
          double mh = mm[i] / (1 - Math.pow(0.9, step));
          double vh = vv[i] / (1 - Math.pow(0.999, step));
          ref[i] -= lr * (mh / (Math.sqrt(vh) + 1e-8) + 0.1 * ref[i]);
        }
        assertEquals(Math.sqrt(sq), norm, 1e-5);
      }
      float[] got = w.toFloatArray();
      assertArrayEquals(new float[] {(float) ref[0], (float) ref[1]}, got, 1e-6f);
    }
  }

  @Test
  void clippingScalesTheUpdateGradient() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.create(new float[] {3f, 4f});
      w.setRequiresGradient(true);
      AdamW opt = new AdamW(Map.of("b.bias", w), 0.9, 0.999, 1e-8, 0.0);
      backward(m, w, new float[] {0f, 0f});
      assertEquals(10.0, opt.update(0.0, 1.0), 1e-5); // norm of (6, 8)
      // first moment holds 0.1 · clipped gradient (0.6, 0.8)
      assertArrayEquals(new float[] {0.06f, 0.08f}, opt.state().get("m.b.bias").toFloats(),
          1e-5f);
    }
  }

  @Test
  void aNonFiniteGradientLeavesTheWeightsAlone() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.create(new float[] {1f, 2f});
      w.setRequiresGradient(true);
      AdamW opt = new AdamW(Map.of("w.weight", w), 0.9, 0.999, 1e-8, 0.0);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(w.log().sum().mul(Float.POSITIVE_INFINITY));
      }
      assertTrue(Double.isInfinite(opt.update(0.1, 1.0)));
      assertArrayEquals(new float[] {1f, 2f}, w.toFloatArray(), 0f);
      assertEquals(0, opt.step());
      assertArrayEquals(new float[] {0f, 0f}, w.getGradient().toFloatArray(), 0f);
      // the next, finite step works as a first step
      backward(m, w, new float[] {0f, 0f});
      assertEquals(Math.sqrt(4 + 16), opt.update(0.1, 0), 1e-5);
      assertEquals(1, opt.step());
    }
  }

  @Test
  void normalisationScalesAndBiasesAreNotDecayed() {
    for (String n : List.of("encoder.layer.0.attention.output.LayerNorm.weight",
        "embeddings.LayerNorm.weight", "model.layers.0.input_layernorm.weight",
        "model.layers.3.post_attention_layernorm.weight", "model.norm.weight",
        "encoder.layer.0.attention.self.query.bias")) {
      assertFalse(AdamW.decays(n), n);
    }
    for (String n : List.of("encoder.layer.0.attention.self.query.weight",
        "model.layers.0.mlp.gate_proj.weight", "pooler.dense.weight", "classifier.weight",
        "embeddings.word_embeddings.weight", "model.embed_tokens.weight")) {
      assertTrue(AdamW.decays(n), n);
    }
  }

  @Test
  void aScaledParameterMovesByItsOwnRate() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {1f});
      NDArray b = m.create(new float[] {1f});
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("a.bias", a);
      params.put("b.bias", b);
      AdamW opt = new AdamW(params, 0.9, 0.999, 1e-8, 0.0);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(a.add(b).sum());
      }
      opt.update(0.01, 0, name -> name.startsWith("b") ? 10 : 1);
      // Adam's first step moves by the learning rate whatever the gradient's size
      assertEquals(1 - 0.01, a.getFloat(0), 1e-5);
      assertEquals(1 - 0.1, b.getFloat(0), 1e-5);
    }
  }
}
