package org.disranker.model.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.disranker.model.io.DType;
import org.disranker.model.io.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL decoder against the float64 reference, padding, checkpoints and LoRA. */
class LlamaModelTest {
  @TempDir Path dir;

  /** GQA (4 query heads over 2 key-value heads), untied head, Qwen2-style biases optional. */
  static LlamaConfig config(String type, boolean bias, boolean tied) {
    return new LlamaConfig(type, 50, 16, 24, 2, 4, 2, 4, 1e-6, 10000.0, 64, tied, bias, 1, 2, 0);
  }

  /** Random weights with larger scale than init, so that every part matters numerically. */
  static LlamaCheckpoint randomized(LlamaConfig c, long seed) {
    LlamaCheckpoint base = LlamaCheckpoint.random(c, seed, null);
    Random r = new Random(seed + 1);
    Map<String, Tensor> w = new LinkedHashMap<>();
    base.weights().forEach((k, t) -> {
      float[] v = t.toFloats();
      for (int i = 0; i < v.length; i++) {
        v[i] = k.endsWith("norm.weight") ? 1f + 0.3f * (float) r.nextGaussian()
            : 0.3f * (float) r.nextGaussian();
      }
      w.put(k, Tensor.ofFloats(t.shape(), v));
    });
    return LlamaCheckpoint.of(c, w, null);
  }

  static float[] hidden(LlamaModel m, long[][] ids, long[][] mask) {
    try (NDManager s = m.manager().newSubManager()) {
      int b = ids.length;
      int t = ids[0].length;
      long[] fi = new long[b * t];
      long[] fm = new long[b * t];
      for (int i = 0; i < b; i++) {
        System.arraycopy(ids[i], 0, fi, i * t, t);
        System.arraycopy(mask[i], 0, fm, i * t, t);
      }
      return m.hidden(s.create(fi, new Shape(b, t)), s.create(fm, new Shape(b, t)))
          .toFloatArray();
    }
  }

  static float score(LlamaModel m, long[] ids, long[] mask) {
    try (NDManager s = m.manager().newSubManager()) {
      NDArray i = s.create(ids, new Shape(1, ids.length));
      NDArray k = s.create(mask, new Shape(1, ids.length));
      return m.score(i, k, false).getFloat();
    }
  }

  void matchesReference(LlamaConfig c) {
    LlamaCheckpoint ck = randomized(c, 5);
    long[] ids = {1, 7, 33, 12, 49, 3, 3, 20, 2};
    double[][] ref = new ReferenceDecoder(ck).hidden(ids);
    long[] ones = new long[ids.length];
    java.util.Arrays.fill(ones, 1);
    try (LlamaModel m = LlamaModel.create(ck, Device.cpu(), null)) {
      float[] got = hidden(m, new long[][] {ids}, new long[][] {ones});
      double max = 0;
      for (int p = 0; p < ids.length; p++) {
        for (int j = 0; j < c.hiddenSize(); j++) {
          max = Math.max(max, Math.abs(got[p * c.hiddenSize() + j] - ref[p][j]));
        }
      }
      assertTrue(max < 1e-4, c.modelType() + ": max abs difference " + max);
    }
  }

  @Test
  void llamaWithGroupedQueryAttentionMatchesTheFloat64Reference() {
    matchesReference(config("llama", false, false));
  }

  @Test
  void qwen2WithAttentionBiasMatchesTheFloat64Reference() {
    matchesReference(config("qwen2", true, true));
  }

  @Test
  void causalMaskHidesLaterTokens() {
    LlamaCheckpoint ck = randomized(config("mistral", false, false), 8);
    try (LlamaModel m = LlamaModel.create(ck, Device.cpu(), null)) {
      float[] a = hidden(m, new long[][] {{1, 5, 6, 7}}, new long[][] {{1, 1, 1, 1}});
      float[] b = hidden(m, new long[][] {{1, 5, 6, 9}}, new long[][] {{1, 1, 1, 1}});
      // the first three positions cannot see the changed fourth token
      for (int i = 0; i < 3 * 16; i++) {
        assertEquals(a[i], b[i], 1e-6f);
      }
      assertTrue(Math.abs(a[3 * 16] - b[3 * 16]) > 1e-4);
    }
  }

  @Test
  void leftAndRightPaddingGiveTheSameScore() {
    LlamaCheckpoint ck = randomized(config("llama", false, false), 9);
    Map<String, Tensor> w = new LinkedHashMap<>(ck.weights());
    w.put("score.weight", Tensor.ofFloats(new long[] {1, 16}, new float[] {1, -1, 2, 0.5f, 0, 0,
        0, 0, 3, 0, 0, 0, -2, 0, 0, 1}));
    ck = LlamaCheckpoint.of(ck.config(), w, null);
    try (LlamaModel m = LlamaModel.create(ck, Device.cpu(), null)) {
      float plain = score(m, new long[] {1, 8, 9, 10, 2}, new long[] {1, 1, 1, 1, 1});
      float right = score(m, new long[] {1, 8, 9, 10, 2, 0, 0}, new long[] {1, 1, 1, 1, 1, 0,
          0});
      float left = score(m, new long[] {0, 0, 1, 8, 9, 10, 2}, new long[] {0, 0, 1, 1, 1, 1,
          1});
      assertEquals(plain, right, 1e-5f);
      assertEquals(plain, left, 1e-5f);
      assertTrue(Math.abs(plain) > 1e-3, "score should not be trivially 0");
    }
  }

  @Test
  void checkpointRoundTripIsBitExactIncludingBf16() {
    LlamaCheckpoint f32 = randomized(config("llama", false, false), 10);
    LlamaCheckpoint bf16 = f32.to(DType.BF16);
    bf16.save(dir.resolve("m"));
    LlamaCheckpoint back = LlamaCheckpoint.load(dir.resolve("m"));
    assertEquals(bf16.config(), back.config());
    assertEquals(bf16.weights(), back.weights());
    // through DJL and back: types kept, values unchanged
    try (LlamaModel m = LlamaModel.create(back, Device.cpu(), null)) {
      assertEquals(bf16.weights(), m.toCheckpoint().weights());
    }
  }

  @Test
  void shardedCheckpointsRoundTrip() throws java.io.IOException {
    LlamaCheckpoint ck = randomized(config("qwen2", true, false), 12).to(DType.BF16);
    ck.save(dir.resolve("sharded"), 2_000);
    assertTrue(java.nio.file.Files.isRegularFile(dir.resolve("sharded/model.safetensors.index.json")));
    assertTrue(java.nio.file.Files.isRegularFile(
        dir.resolve("sharded/model-00007-of-00007.safetensors")));
    LlamaCheckpoint back = LlamaCheckpoint.load(dir.resolve("sharded"));
    assertEquals(ck.weights(), back.weights());
    assertEquals(java.util.List.copyOf(ck.weights().keySet()),
        java.util.List.copyOf(back.weights().keySet()));
  }

  @Test
  void loraMergedAndUnmergedGiveTheSameOutputs() {
    LlamaCheckpoint ck = randomized(config("llama", false, false), 11);
    LoraConfig lc = new LoraConfig(2, 4.0, List.of("q_proj", "v_proj", "down_proj"), 3);
    long[][] ids = {{1, 4, 9, 16, 25, 2}};
    long[][] mask = {{1, 1, 1, 1, 1, 1}};
    try (LlamaModel m = LlamaModel.create(ck, Device.cpu(), lc)) {
      assertEquals(3 * 2 * 2 + 2, m.trainable().size()); // A and B for 3 targets x 2 layers, head
      float[] before = hidden(m, ids, mask);
      // give B non-zero values, as training would
      for (Map.Entry<String, NDArray> e : m.trainable().entrySet()) {
        if (e.getKey().endsWith(".lora_B")) {
          NDArray b = e.getValue();
          float[] v = new float[(int) b.size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = 0.05f * ((i % 7) - 3);
          }
          b.set(v);
        }
      }
      float[] adapted = hidden(m, ids, mask);
      assertTrue(Math.abs(adapted[0] - before[0]) + Math.abs(adapted[40] - before[40]) > 1e-4,
          "adapters should change the output");
      LlamaCheckpoint merged = m.toCheckpoint();
      try (LlamaModel plain = LlamaModel.create(merged, Device.cpu(), null)) {
        assertArrayEquals(adapted, hidden(plain, ids, mask), 1e-5f);
      }
    }
  }

  @Test
  void badConfigsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new LlamaConfig("gpt2", 50, 16, 24, 2, 4,
        2, 4, 1e-6, 1e4, 64, false, false, 1, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> new LlamaConfig("llama", 50, 16, 24, 2, 4,
        3, 4, 1e-6, 1e4, 64, false, false, 1, 2, 0));
  }
}
