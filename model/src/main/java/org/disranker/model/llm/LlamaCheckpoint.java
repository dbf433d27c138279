package org.disranker.model.llm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.InputFormatException;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.io.DType;
import org.disranker.model.io.Safetensors;
import org.disranker.model.io.Tensor;

/**
 * A decoder checkpoint in Hugging Face layout: config, weights under their Hugging Face names in
 * their stored types (F32, F16 or BF16, kept as read so that a round trip is bit-exact), and the
 * tokenizer.json bytes. The ranking head is {@code score.weight} [1, hidden] and {@code
 * score.bias} [1], added with zeros when the checkpoint has none.
 */
public record LlamaCheckpoint(LlamaConfig config, Map<String, Tensor> weights,
    byte[] tokenizerJson) {

  /** Every tensor of this config with its shape, in a fixed order. */
  public static Map<String, long[]> expectedShapes(LlamaConfig c) {
    Map<String, long[]> m = new LinkedHashMap<>();
    long h = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    long f = c.intermediateSize();
    m.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      m.put(p + "input_layernorm.weight", new long[] {h});
      m.put(p + "self_attn.q_proj.weight", new long[] {q, h});
      m.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
      m.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
      if (c.attentionBias()) {
        m.put(p + "self_attn.q_proj.bias", new long[] {q});
        m.put(p + "self_attn.k_proj.bias", new long[] {kv});
        m.put(p + "self_attn.v_proj.bias", new long[] {kv});
      }
      m.put(p + "self_attn.o_proj.weight", new long[] {h, q});
      m.put(p + "post_attention_layernorm.weight", new long[] {h});
      m.put(p + "mlp.gate_proj.weight", new long[] {f, h});
      m.put(p + "mlp.up_proj.weight", new long[] {f, h});
      m.put(p + "mlp.down_proj.weight", new long[] {h, f});
    }
    m.put("model.norm.weight", new long[] {h});
    if (!c.tieWordEmbeddings()) {
      m.put("lm_head.weight", new long[] {c.vocabSize(), h});
    }
    m.put("score.weight", new long[] {1, h});
    m.put("score.bias", new long[] {1});
    return m;
  }

  /** Validates weights against the config; a missing ranking head becomes zeros. */
  public static LlamaCheckpoint of(LlamaConfig c, Map<String, Tensor> weights, byte[] tok) {
    Map<String, Tensor> w = new LinkedHashMap<>(weights);
    w.putIfAbsent("score.weight", Tensor.ofFloats(new long[] {1, c.hiddenSize()},
        new float[c.hiddenSize()]));
    w.putIfAbsent("score.bias", Tensor.ofFloats(new long[] {1}, new float[1]));
    Map<String, Tensor> ordered = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expectedShapes(c).entrySet()) {
      Tensor t = w.get(e.getKey());
      if (t == null) {
        throw new IllegalArgumentException("checkpoint lacks tensor " + e.getKey());
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new IllegalArgumentException("tensor " + e.getKey() + " has shape "
            + Arrays.toString(t.shape()) + ", config wants " + Arrays.toString(e.getValue()));
      }
      if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
        throw new IllegalArgumentException("tensor " + e.getKey() + " is " + t.dtype()
            + "; expected F32, F16 or BF16");
      }
      ordered.put(e.getKey(), t);
    }
    return new LlamaCheckpoint(c, ordered, tok);
  }

  /**
   * A decoder to train from scratch on a CPU: the {@link LlamaConfig#preset} of that size,
   * randomly initialised, with the BERT WordPiece vocabulary of MiniLM ([CLS] as {@code <s>},
   * [SEP] as {@code </s>}), since no pretrained decoder can be downloaded here.
   */
  public static LlamaCheckpoint fromScratch(String size, long seed) {
    return random(LlamaConfig.preset(size, 30522), seed, BertCheckpoint.minilmTokenizer());
  }

  /** The number of parameters (every weight tensor's elements). */
  public long parameters() {
    return weights.values().stream().mapToLong(Tensor::numel).sum();
  }

  /** Random initialisation (normal, standard deviation 0.02; norms 1) in F32. */
  public static LlamaCheckpoint random(LlamaConfig c, long seed, byte[] tok) {
    Random r = new Random(seed);
    Map<String, Tensor> w = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expectedShapes(c).entrySet()) {
      float[] v = new float[(int) Tensor.numel(e.getValue())];
      String name = e.getKey();
      if (name.endsWith("norm.weight")) {
        Arrays.fill(v, 1f);
      } else if (!name.endsWith(".bias") && !name.startsWith("score.")) {
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (r.nextGaussian() * 0.02);
        }
      }
      w.put(name, Tensor.ofFloats(e.getValue(), v));
    }
    return new LlamaCheckpoint(c, w, tok);
  }

  /** Reads a folder: config.json, model.safetensors or shards with an index, tokenizer.json. */
  public static LlamaCheckpoint load(Path dir) {
    Path cfg = dir.resolve("config.json");
    if (!Files.isRegularFile(cfg)) {
      throw new InputFormatException(dir, "no config.json: not a Hugging Face model folder");
    }
    Path tok = dir.resolve("tokenizer.json");
    try {
      byte[] t = Files.isRegularFile(tok) ? Files.readAllBytes(tok) : null;
      return of(LlamaConfig.read(cfg), Safetensors.readFolder(dir), t);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a folder in the same layout, tensors in their own types, in one file. */
  public void save(Path dir) {
    save(dir, Long.MAX_VALUE);
  }

  /** Writes a folder, sharding the weights into files of at most {@code maxShardBytes}. */
  public void save(Path dir, long maxShardBytes) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    config.write(dir.resolve("config.json"));
    Safetensors.writeFolder(dir, weights, maxShardBytes);
    if (tokenizerJson != null) {
      AtomicFiles.writeBytes(dir.resolve("tokenizer.json"), os -> os.write(tokenizerJson));
    }
  }

  /** The same weights converted to one type (e.g. BF16 to halve the size). */
  public LlamaCheckpoint to(DType type) {
    Map<String, Tensor> w = new LinkedHashMap<>();
    weights.forEach((k, t) -> w.put(k, t.to(type)));
    return new LlamaCheckpoint(config, w, tokenizerJson);
  }
}
