package org.disranker.model.llm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.disranker.model.io.DType;
import org.disranker.model.io.Tensor;

/**
 * A Llama / Mistral / Qwen2 decoder on DJL: token embedding; per layer RMSNorm, grouped-query
 * self-attention with rotary position embedding (Hugging Face's rotate-half layout) and a causal
 * mask that also masks padding, a residual, RMSNorm, a SwiGLU MLP and a residual; a final RMSNorm;
 * the LM head (tied to the embedding or not) and the ranking head on the state of the last real
 * token.
 *
 * <p>Positions count real tokens only (cumulative sum of the mask, minus one), so the same text
 * left- or right-padded gets the same states on its real tokens and the same score. Linear weights
 * are held [in, out]. With LoRA the base weights are frozen and only the adapters and the ranking
 * head train; {@link #toCheckpoint} merges the adapters.
 */
public final class LlamaModel implements AutoCloseable {
  private final LlamaConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final Map<String, DType> storedTypes = new LinkedHashMap<>();
  private final Map<String, NDArray[]> lora = new LinkedHashMap<>();
  private final LoraConfig loraConfig;
  private final byte[] tokenizerJson;

  private LlamaModel(LlamaConfig config, NDManager manager, LoraConfig lora, byte[] tok) {
    this.config = config;
    this.manager = manager;
    this.loraConfig = lora;
    this.tokenizerJson = tok;
  }

  public static LlamaModel create(LlamaCheckpoint ckpt, Device device, LoraConfig lora) {
    LlamaModel m = new LlamaModel(ckpt.config(), NDManager.newBaseManager(device), lora,
        ckpt.tokenizerJson());
    ckpt.weights().forEach((name, t) -> {
      Tensor stored = isLinear(name) ? t.transpose2d() : t;
      NDArray a = m.manager.create(stored.toFloats(), new Shape(stored.shape()));
      a.setName(name);
      m.params.put(name, a);
      m.storedTypes.put(name, t.dtype());
    });
    if (lora != null) {
      Random r = new Random(lora.seed());
      for (String name : ckpt.weights().keySet()) {
        String proj = projectionOf(name);
        if (proj != null && name.endsWith(".weight") && lora.targets().contains(proj)) {
          long[] s = ckpt.weights().get(name).shape(); // [out, in]
          float[] a = new float[(int) (lora.rank() * s[1])];
          double std = 1.0 / Math.sqrt(s[1]);
          for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextGaussian() * std);
          }
          NDArray aT = m.manager.create(a, new Shape(lora.rank(), s[1])).transpose().duplicate();
          NDArray bT = m.manager.zeros(new Shape(s[0], lora.rank())).transpose().duplicate();
          m.lora.put(name, new NDArray[] {aT, bT}); // A^T [in, r], B^T [r, out]
        }
      }
    }
    return m;
  }

  static boolean isLinear(String name) {
    return name.endsWith("_proj.weight") || name.equals("lm_head.weight")
        || name.equals("score.weight");
  }

  static String projectionOf(String name) {
    for (String p : LoraConfig.ALL) {
      if (name.contains("." + p + ".")) {
        return p;
      }
    }
    return null;
  }

  private final Map<String, NDArray> constants = new LinkedHashMap<>();

  /**
   * A scalar owned by the model. Multiplying by a Java number makes the engine wrap it in a native
   * scalar that the backward pass reads again but that the garbage collector may reclaim first;
   * an array held here lives as long as the model.
   */
  private NDArray constant(String name, float value) {
    return constants.computeIfAbsent(name, k -> manager.create(value));
  }

  public LlamaConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  /**
   * The parameters that train: with LoRA the adapters and the ranking head, else everything.
   * Names of adapters end in {@code .lora_A} / {@code .lora_B}.
   */
  public Map<String, NDArray> trainable() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    if (loraConfig == null) {
      out.putAll(params);
    } else {
      lora.forEach((name, ab) -> {
        out.put(name + ".lora_A", ab[0]);
        out.put(name + ".lora_B", ab[1]);
      });
      out.put("score.weight", params.get("score.weight"));
      out.put("score.bias", params.get("score.bias"));
    }
    return out;
  }

  private NDArray p(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new IllegalStateException("missing parameter " + name);
    }
    return a;
  }

  private NDArray linear(NDArray x, String weight, String bias) {
    NDArray y = x.matMul(p(weight));
    NDArray[] ab = lora.get(weight);
    if (ab != null) {
      y = y.add(x.matMul(ab[0]).matMul(ab[1]).mul(constant("lora_scaling",
          (float) loraConfig.scaling())));
    }
    return bias != null && params.containsKey(bias) ? y.add(p(bias)) : y;
  }

  private NDArray rmsNorm(NDArray x, String weight) {
    NDArray var = x.square().mean(new int[] {-1}, true);
    return x.div(var.add(config.rmsNormEps()).sqrt()).mul(p(weight));
  }

  /** cos and sin [batch, 1, length, headDim] for positions [batch, length]. */
  private NDArray[] rotary(NDArray positions) {
    int d = config.headDim();
    NDManager m = positions.getManager();
    float[] inv = new float[d / 2];
    for (int i = 0; i < d / 2; i++) {
      inv[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / d));
    }
    NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(-1)
        .mul(m.create(inv)); // [B, T, d/2]
    NDArray emb = NDArrays.concat(new ai.djl.ndarray.NDList(freqs, freqs), -1).expandDims(1);
    return new NDArray[] {emb.cos(), emb.sin()};
  }

  private static NDArray rotateHalf(NDArray x, int d) {
    NDArray x1 = x.get("..., :" + (d / 2));
    NDArray x2 = x.get("..., " + (d / 2) + ":");
    return NDArrays.concat(new ai.djl.ndarray.NDList(x2.neg(), x1), -1);
  }

  /**
   * Final hidden states [batch, length, hidden] after the last RMSNorm.
   *
   * @param ids token ids [batch, length], int64
   * @param mask 1 for real tokens, 0 for padding (left or right), [batch, length] int64
   */
  public NDArray hidden(NDArray ids, NDArray mask) {
    long b = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    NDManager m = ids.getManager();
    NDArray positions = mask.cumSum(1).sub(1).maximum(0);
    NDArray[] cs = rotary(positions);
    NDArray maskF = mask.toType(DataType.FLOAT32, false);
    // key j is visible from query i when j <= i and j is a real token
    float[] lower = new float[(int) (t * t)];
    for (int i = 0; i < t; i++) {
      for (int j = 0; j <= i; j++) {
        lower[(int) (i * t + j)] = 1f;
      }
    }
    NDArray causal = m.create(lower, new Shape(1, 1, t, t));
    NDArray allowed = causal.mul(maskF.reshape(b, 1, 1, t));
    NDArray bias = allowed.neg().add(1).mul(-Float.MAX_VALUE);
    int nh = config.numHeads();
    int nkv = config.numKvHeads();
    int hd = config.headDim();
    float scale = (float) (1.0 / Math.sqrt(hd));
    NDArray x = Embedding.embedding(ids, p("model.embed_tokens.weight"), SparseFormat.DENSE)
        .singletonOrThrow();
    for (int i = 0; i < config.numLayers(); i++) {
      String l = "model.layers." + i + ".";
      NDArray h = rmsNorm(x, l + "input_layernorm.weight");
      NDArray q = linear(h, l + "self_attn.q_proj.weight", l + "self_attn.q_proj.bias")
          .reshape(b, t, nh, hd).transpose(0, 2, 1, 3);
      NDArray k = linear(h, l + "self_attn.k_proj.weight", l + "self_attn.k_proj.bias")
          .reshape(b, t, nkv, hd).transpose(0, 2, 1, 3);
      NDArray v = linear(h, l + "self_attn.v_proj.weight", l + "self_attn.v_proj.bias")
          .reshape(b, t, nkv, hd).transpose(0, 2, 1, 3);
      q = q.mul(cs[0]).add(rotateHalf(q, hd).mul(cs[1])).mul(constant("attention_scale", scale));
      k = k.mul(cs[0]).add(rotateHalf(k, hd).mul(cs[1]));
      if (nkv != nh) {
        k = k.repeat(1, config.groups());
        v = v.repeat(1, config.groups());
      }
      NDArray probs = q.matMul(k.transpose(0, 1, 3, 2)).add(bias).softmax(-1);
      NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, (long) nh * hd);
      x = x.add(linear(ctx, l + "self_attn.o_proj.weight", null));
      NDArray h2 = rmsNorm(x, l + "post_attention_layernorm.weight");
      NDArray gate = linear(h2, l + "mlp.gate_proj.weight", null);
      NDArray up = linear(h2, l + "mlp.up_proj.weight", null);
      NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);
      x = x.add(linear(act, l + "mlp.down_proj.weight", null));
    }
    return rmsNorm(x, "model.norm.weight");
  }

  /** The state of each row's last real token [batch, hidden] (works for either padding side). */
  public static NDArray lastTokenState(NDArray hidden, NDArray mask) {
    long t = hidden.getShape().get(1);
    NDArray pos = mask.getManager().arange(0, (int) t, 1, DataType.INT64).reshape(1, t);
    NDArray last = mask.mul(pos).max(new int[] {1}, true); // [B, 1]
    NDArray sel = pos.eq(last).toType(DataType.FLOAT32, false).expandDims(-1); // [B, T, 1]
    return hidden.mul(sel).sum(new int[] {1});
  }

  /** Mean of the real tokens' states [batch, hidden]. */
  public static NDArray meanState(NDArray hidden, NDArray mask) {
    NDArray mf = mask.toType(DataType.FLOAT32, false).expandDims(-1);
    return hidden.mul(mf).sum(new int[] {1}).div(mf.sum(new int[] {1}));
  }

  /** f(q, d) = Dense(last real token state) [batch]; with {@code meanPool}, of the mean state. */
  public NDArray score(NDArray ids, NDArray mask, boolean meanPool) {
    NDArray h = hidden(ids, mask);
    NDArray s = meanPool ? meanState(h, mask) : lastTokenState(h, mask);
    return s.matMul(p("score.weight")).add(p("score.bias")).reshape(-1);
  }

  /** Next-token logits [batch, length, vocab]. */
  public NDArray lmLogits(NDArray hidden) {
    if (config.tieWordEmbeddings()) {
      return hidden.matMul(p("model.embed_tokens.weight").transpose());
    }
    return hidden.matMul(p("lm_head.weight"));
  }

  /** Copies the weights out, LoRA merged, each tensor in the type it was loaded with. */
  public LlamaCheckpoint toCheckpoint() {
    return toCheckpoint(true);
  }

  /** Copies the weights out; {@code merge} false leaves the base weights without the adapters. */
  public LlamaCheckpoint toCheckpoint(boolean merge) {
    Map<String, Tensor> w = new LinkedHashMap<>();
    params.forEach((name, a) -> {
      NDArray full = a;
      NDArray[] ab = merge ? lora.get(name) : null;
      if (ab != null) {
        full = a.add(ab[0].matMul(ab[1]).mul(loraConfig.scaling()));
      }
      Tensor t = Tensor.ofFloats(full.getShape().getShape(), full.toFloatArray());
      if (full != a) {
        full.close();
      }
      if (isLinear(name)) {
        t = t.transpose2d();
      }
      w.put(name, t.to(storedTypes.get(name)));
    });
    return new LlamaCheckpoint(config, w, tokenizerJson);
  }

  /** The LoRA adapters as F32 tensors (A^T and B^T, as held), by trainable name. */
  public Map<String, Tensor> adapters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    lora.forEach((name, ab) -> {
      out.put(name + ".lora_A", Tensor.ofFloats(ab[0].getShape().getShape(),
          ab[0].toFloatArray()));
      out.put(name + ".lora_B", Tensor.ofFloats(ab[1].getShape().getShape(),
          ab[1].toFloatArray()));
    });
    return out;
  }

  /** Restores adapters saved by {@link #adapters()}. */
  public void loadAdapters(Map<String, Tensor> saved) {
    lora.forEach((name, ab) -> {
      for (int i = 0; i < 2; i++) {
        Tensor t = saved.get(name + (i == 0 ? ".lora_A" : ".lora_B"));
        if (t == null) {
          throw new IllegalArgumentException("saved adapters lack " + name);
        }
        ab[i].set(t.toFloats());
      }
    });
  }

  @Override
  public void close() {
    manager.close();
  }
}
