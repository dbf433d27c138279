package org.disranker.model.bert;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.model.io.Tensor;

/**
 * A BERT cross-encoder on DJL: embeddings (word + position + token type, LayerNorm), N encoder
 * layers (multi-head self-attention and a GELU feed-forward block, each with a residual and
 * post-LayerNorm), and {@code BertForSequenceClassification}'s head with one logit: {@code score =
 * classifier(tanh(pooler.dense(last_hidden_state[:, 0])))}.
 *
 * <p>Parameters are kept under their Hugging Face names; linear weights are stored [in, out] so
 * the forward pass multiplies without transposing, and converted back on {@link #toCheckpoint}.
 * Results of each operation attach to the manager of its first operand, so callers pass inputs
 * created in a per-batch sub-manager and close it after reading the outputs.
 */
public final class BertModel implements AutoCloseable {
  private final BertConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();

  private BertModel(BertConfig config, NDManager manager) {
    this.config = config;
    this.manager = manager;
  }

  /** Puts a checkpoint's weights on a device. */
  public static BertModel create(BertCheckpoint ckpt, Device device) {
    BertModel m = new BertModel(ckpt.config(), NDManager.newBaseManager(device));
    ckpt.weights().forEach((name, t) -> {
      Tensor stored = isLinearWeight(name) ? t.transpose2d() : t;
      NDArray a = m.manager.create(stored.toFloats(), new Shape(stored.shape()));
      a.setName(name);
      m.params.put(name, a);
    });
    return m;
  }

  static boolean isLinearWeight(String name) {
    return name.endsWith(".weight") && (name.contains(".attention.self.")
        || name.endsWith("dense.weight") || name.equals("classifier.weight"));
  }

  public BertConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  /** The trainable parameters, in checkpoint order. */
  public List<NDArray> parameters() {
    return new ArrayList<>(params.values());
  }

  public Map<String, NDArray> namedParameters() {
    return params;
  }

  /** Copies the current weights out into a checkpoint. */
  public BertCheckpoint toCheckpoint(byte[] tokenizerJson) {
    Map<String, Tensor> w = new LinkedHashMap<>();
    params.forEach((name, a) -> {
      Tensor t = Tensor.ofFloats(a.getShape().getShape(), a.toFloatArray());
      w.put(name, isLinearWeight(name) ? t.transpose2d() : t);
    });
    return new BertCheckpoint(config, w, tokenizerJson);
  }

  private NDArray p(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new IllegalStateException("missing parameter " + name);
    }
    return a;
  }

  private NDArray linear(NDArray x, String prefix) {
    return x.matMul(p(prefix + ".weight")).add(p(prefix + ".bias"));
  }

  private NDArray layerNorm(NDArray x, String prefix) {
    return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), p(prefix + ".weight"),
        p(prefix + ".bias"), (float) config.layerNormEps()).singletonOrThrow();
  }

  /**
   * The last hidden states [batch, length, hidden].
   *
   * @param ids token ids [batch, length], int64
   * @param types token type ids [batch, length], int64
   * @param mask attention mask [batch, length], 1 for tokens and 0 for padding
   */
  public NDArray encode(NDArray ids, NDArray types, NDArray mask) {
    return encode(ids, types, mask, 0f);
  }

  /**
   * The last hidden states with dropout at {@code rate} where {@code BertModel} of Hugging Face
   * applies it in training: after the embeddings, on the attention probabilities, and on the
   * attention and feed-forward outputs before their residual sums. The masks come from the
   * engine's random generator, which the caller seeds. A rate of 0 is the inference pass.
   */
  public NDArray encode(NDArray ids, NDArray types, NDArray mask, float rate) {
    long b = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    if (t > config.maxPositions()) {
      throw new IllegalArgumentException("sequence of " + t + " tokens exceeds the model's "
          + config.maxPositions() + " positions");
    }
    NDManager m = ids.getManager();
    NDArray positions = m.arange(0, (int) t, 1, DataType.INT64).reshape(1, t);
    NDArray x = Embedding.embedding(ids, p("embeddings.word_embeddings.weight"),
        SparseFormat.DENSE).singletonOrThrow();
    x = x.add(Embedding.embedding(positions, p("embeddings.position_embeddings.weight"),
        SparseFormat.DENSE).singletonOrThrow());
    x = x.add(Embedding.embedding(types, p("embeddings.token_type_embeddings.weight"),
        SparseFormat.DENSE).singletonOrThrow());
    x = drop(layerNorm(x, "embeddings.LayerNorm"), rate);
    // (1 - mask) * most-negative float, broadcast over heads and query positions
    NDArray maskBias = mask.toType(DataType.FLOAT32, false).neg().add(1)
        .mul(-Float.MAX_VALUE).reshape(b, 1, 1, t);
    int heads = config.numHeads();
    int hd = config.headSize();
    float scale = (float) (1.0 / Math.sqrt(hd));
    for (int i = 0; i < config.numLayers(); i++) {
      String l = "encoder.layer." + i + ".";
      NDArray q = linear(x, l + "attention.self.query").mul(scaleArray(scale))
          .reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
      NDArray k = linear(x, l + "attention.self.key").reshape(b, t, heads, hd)
          .transpose(0, 2, 3, 1);
      NDArray v = linear(x, l + "attention.self.value").reshape(b, t, heads, hd)
          .transpose(0, 2, 1, 3);
      NDArray probs = drop(q.matMul(k).add(maskBias).softmax(-1), rate);
      NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, config.hiddenSize());
      x = layerNorm(drop(linear(ctx, l + "attention.output.dense"), rate).add(x),
          l + "attention.output.LayerNorm");
      NDArray ff = Activation.gelu(linear(x, l + "intermediate.dense"));
      x = layerNorm(drop(linear(ff, l + "output.dense"), rate).add(x), l + "output.LayerNorm");
    }
    return x;
  }

  private static NDArray drop(NDArray x, float rate) {
    return rate > 0 ? Dropout.dropout(x, rate, true).singletonOrThrow() : x;
  }

  private NDArray scaleConst;

  /**
   * The attention scale as an array owned by the model. Multiplying by a Java number makes the
   * engine wrap it in a fresh native scalar, which the backward pass reads again; held only by a
   * short-lived buffer, that scalar can be reclaimed by the garbage collector between forward and
   * backward, and the gradient then reads freed memory (seen as rare infinite gradients).
   */
  private NDArray scaleArray(float scale) {
    if (scaleConst == null) {
      scaleConst = manager.create(scale);
    }
    return scaleConst;
  }

  /** Relevance scores [batch]: the pooler and the classifier on the [CLS] state. */
  public NDArray score(NDArray ids, NDArray types, NDArray mask) {
    return score(ids, types, mask, 0f);
  }

  /**
   * Relevance scores with training dropout at {@code rate} (see {@link #encode(NDArray, NDArray,
   * NDArray, float)}), also on the pooled state before the classifier as in {@code
   * BertForSequenceClassification}.
   */
  public NDArray score(NDArray ids, NDArray types, NDArray mask, float rate) {
    NDArray h = encode(ids, types, mask, rate);
    NDArray pooled = drop(linear(h.get(":, 0, :"), "pooler.dense").tanh(), rate);
    return linear(pooled, "classifier").reshape(-1);
  }

  @Override
  public void close() {
    manager.close();
  }
}
