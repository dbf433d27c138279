package org.disranker.model.bert;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.InputFormatException;
import org.disranker.model.io.DType;
import org.disranker.model.io.Safetensors;
import org.disranker.model.io.Tensor;
import org.disranker.model.onnx.OnnxGraph;

/**
 * A BERT cross-encoder checkpoint in memory: config, weights under Hugging Face names (linear
 * weights [out, in]) as F32, and the tokenizer.json bytes. In memory the names have no {@code
 * bert.} prefix; on disk they are those of {@code BertForSequenceClassification}: {@code bert.}
 * before the encoder and the pooler, {@code classifier.*} as is. The scoring head is the
 * standard one, {@code score = classifier(tanh(pooler.dense(last_hidden_state[:, 0])))}, with
 * one logit. A checkpoint without a head (a plain sentence encoder such as all-MiniLM-L6-v2) gets
 * one drawn as Hugging Face initialises it: weights normal with standard deviation 0.02, biases
 * zero, from a fixed seed. (A zero head would give the encoder no gradient at first.)
 */
public record BertCheckpoint(BertConfig config, Map<String, Tensor> weights, byte[] tokenizerJson) {

  /** all-minilm-l6-v2 inside the Maven artifact named in DESIGN.md: 6 layers, 12 heads. */
  public static final String MINILM_ONNX = "all-minilm-l6-v2.onnx";
  public static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
  public static final int MINILM_HEADS = 12;

  /** bge-small-en-v1.5 (12 layers, 12 heads) inside its Maven artifact, where on the classpath. */
  public static final String BGE_SMALL_ONNX = "bge-small-en-v1.5.onnx";
  public static final String BGE_SMALL_TOKENIZER = "bge-small-en-v1.5-tokenizer.json";
  public static final int BGE_SMALL_HEADS = 12;

  /** e5-small-v2 (12 layers, 12 heads) inside its Maven artifact, where on the classpath. */
  public static final String E5_SMALL_ONNX = "e5-small-v2.onnx";
  public static final String E5_SMALL_TOKENIZER = "e5-small-v2-tokenizer.json";
  public static final int E5_SMALL_HEADS = 12;

  /**
   * A pretrained encoder from its Maven jar on the classpath: minilm (all-MiniLM-L6-v2, 6 layers),
   * bge-small (bge-small-en-v1.5) or e5-small (e5-small-v2), both 12 layers; null for another
   * name.
   */
  public static BertCheckpoint pretrained(String name) {
    return switch (name) {
      case "minilm" -> minilm();
      case "bge-small" -> fromOnnxResource(BGE_SMALL_ONNX, BGE_SMALL_TOKENIZER, BGE_SMALL_HEADS);
      case "e5-small" -> fromOnnxResource(E5_SMALL_ONNX, E5_SMALL_TOKENIZER, E5_SMALL_HEADS);
      default -> null;
    };
  }

  /** Loads all-MiniLM-L6-v2 from the classpath (the langchain4j Maven artifact). */
  public static BertCheckpoint minilm() {
    return fromOnnxResource(MINILM_ONNX, MINILM_TOKENIZER, MINILM_HEADS);
  }

  /** The tokenizer.json of all-MiniLM-L6-v2 (BERT uncased WordPiece), from the classpath. */
  public static byte[] minilmTokenizer() {
    try (InputStream t = BertCheckpoint.class.getClassLoader().getResourceAsStream(
        MINILM_TOKENIZER)) {
      if (t == null) {
        throw new IllegalArgumentException("resource " + MINILM_TOKENIZER + " not on the"
            + " classpath (is the pretrained model's Maven artifact a dependency?)");
      }
      return t.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Loads a BERT ONNX export and its tokenizer from classpath resources. */
  public static BertCheckpoint fromOnnxResource(String onnx, String tokenizer, int heads) {
    ClassLoader cl = BertCheckpoint.class.getClassLoader();
    try (InputStream m = cl.getResourceAsStream(onnx);
        InputStream t = cl.getResourceAsStream(tokenizer)) {
      if (m == null || t == null) {
        throw new IllegalArgumentException("resource " + (m == null ? onnx : tokenizer)
            + " not on the classpath (is the pretrained model's Maven artifact a dependency?)");
      }
      return fromOnnx(OnnxGraph.read(m), heads, t.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the weights of a Hugging Face BERT exported to ONNX: named initializers keep their
   * names; the anonymous MatMul weights are named after their node
   * ({@code /encoder/layer.0/attention/self/query/MatMul} becomes {@code
   * encoder.layer.0.attention.self.query.weight}) and transposed from [in, out] to [out, in].
   */
  public static BertCheckpoint fromOnnx(OnnxGraph g, int heads, byte[] tokenizerJson) {
    Map<String, Tensor> w = new LinkedHashMap<>();
    g.initializers().forEach((name, t) -> {
      if (!name.startsWith("onnx::") && t.dtype() == DType.F32) {
        w.put(name, t);
      }
    });
    for (OnnxGraph.Node n : g.nodes()) {
      if (!n.opType().equals("MatMul") || n.inputs().size() != 2) {
        continue;
      }
      Tensor t = g.initializers().get(n.inputs().get(1));
      if (t == null) {
        continue;
      }
      String base = n.name().replaceFirst("^/", "").replaceFirst("/MatMul$", "").replace('/', '.');
      w.put(base + ".weight", t.transpose2d());
    }
    return fromWeights(w, heads, tokenizerJson);
  }

  /** Builds a checkpoint from weights, inferring the shape (all but the number of heads). */
  static BertCheckpoint fromWeights(Map<String, Tensor> w, int heads, byte[] tokenizerJson) {
    Tensor words = w.get("embeddings.word_embeddings.weight");
    if (words == null) {
      throw new IllegalArgumentException("no embeddings.word_embeddings.weight: not a BERT model");
    }
    int layers = 0;
    while (w.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
      layers++;
    }
    BertConfig c = new BertConfig((int) words.shape()[0], (int) words.shape()[1], layers, heads,
        (int) w.get("encoder.layer.0.intermediate.dense.weight").shape()[0],
        (int) w.get("embeddings.position_embeddings.weight").shape()[0],
        (int) w.get("embeddings.token_type_embeddings.weight").shape()[0], 1e-12);
    return of(c, w, tokenizerJson);
  }

  /** Standard deviation of a new head's weights (Hugging Face's initializer_range). */
  public static final double HEAD_INIT_STD = 0.02;

  /** Seed of the head a checkpoint without one gets. */
  public static final long HEAD_INIT_SEED = 1234;

  /** The parameters of the scoring head. */
  public static final List<String> HEAD = List.of("pooler.dense.weight", "pooler.dense.bias",
      "classifier.weight", "classifier.bias");

  /**
   * Validates weights against a config; the parts of the head a checkpoint lacks (all of it for
   * a sentence encoder, the classifier for an encoder with a pretrained pooler) are drawn new. Names may carry the {@code bert.} prefix of {@code BertForSequenceClassification}.
   */
  public static BertCheckpoint of(BertConfig c, Map<String, Tensor> weights, byte[] tokenizer) {
    Map<String, Tensor> w = new LinkedHashMap<>();
    weights.forEach((k, v) -> w.put(k.startsWith("bert.") ? k.substring(5) : k,
        v.dtype() == DType.F32 ? v : v.to(DType.F32)));
    if (!w.containsKey("pooler.dense.weight") && w.containsKey("classifier.weight")) {
      throw new IllegalArgumentException("checkpoint has a classifier but no pooler: a student"
          + " saved before the head became BertForSequenceClassification's; train it again");
    }
    newHead(c, HEAD_INIT_SEED).forEach(w::putIfAbsent);
    Map<String, Tensor> ordered = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expectedShapes(c).entrySet()) {
      Tensor t = w.get(e.getKey());
      if (t == null) {
        throw new IllegalArgumentException("checkpoint lacks tensor " + e.getKey());
      }
      if (!java.util.Arrays.equals(t.shape(), e.getValue())) {
        throw new IllegalArgumentException("tensor " + e.getKey() + " has shape "
            + java.util.Arrays.toString(t.shape()) + ", config wants "
            + java.util.Arrays.toString(e.getValue()));
      }
      ordered.put(e.getKey(), t);
    }
    return new BertCheckpoint(c, ordered, tokenizer);
  }

  /** Every tensor a BERT cross-encoder of this config has, with its shape, in a fixed order. */
  public static Map<String, long[]> expectedShapes(BertConfig c) {
    Map<String, long[]> m = new LinkedHashMap<>();
    long h = c.hiddenSize();
    long f = c.intermediateSize();
    m.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
    m.put("embeddings.position_embeddings.weight", new long[] {c.maxPositions(), h});
    m.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
    m.put("embeddings.LayerNorm.weight", new long[] {h});
    m.put("embeddings.LayerNorm.bias", new long[] {h});
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "encoder.layer." + i + ".";
      for (String proj : List.of("attention.self.query", "attention.self.key",
          "attention.self.value", "attention.output.dense")) {
        m.put(p + proj + ".weight", new long[] {h, h});
        m.put(p + proj + ".bias", new long[] {h});
      }
      m.put(p + "attention.output.LayerNorm.weight", new long[] {h});
      m.put(p + "attention.output.LayerNorm.bias", new long[] {h});
      m.put(p + "intermediate.dense.weight", new long[] {f, h});
      m.put(p + "intermediate.dense.bias", new long[] {f});
      m.put(p + "output.dense.weight", new long[] {h, f});
      m.put(p + "output.dense.bias", new long[] {h});
      m.put(p + "output.LayerNorm.weight", new long[] {h});
      m.put(p + "output.LayerNorm.bias", new long[] {h});
    }
    m.put("pooler.dense.weight", new long[] {h, h});
    m.put("pooler.dense.bias", new long[] {h});
    m.put("classifier.weight", new long[] {1, h});
    m.put("classifier.bias", new long[] {1});
    return m;
  }

  /** A new scoring head: pooler and one-logit classifier, weights N(0, 0.02), biases zero. */
  public static Map<String, Tensor> newHead(BertConfig c, long seed) {
    java.util.Random r = new java.util.Random(seed);
    Map<String, Tensor> w = new LinkedHashMap<>();
    for (String name : HEAD) {
      long[] shape = expectedShapes(c).get(name);
      float[] v = new float[(int) Tensor.numel(shape)];
      if (name.endsWith(".weight")) {
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (r.nextGaussian() * HEAD_INIT_STD);
        }
      }
      w.put(name, Tensor.ofFloats(shape, v));
    }
    return w;
  }

  /** The name a tensor has in a {@code BertForSequenceClassification} file. */
  public static String hfName(String name) {
    return name.startsWith("classifier.") ? name : "bert." + name;
  }

  /**
   * A randomly initialised model (BERT's scheme: weights normal with standard deviation 0.02,
   * biases 0, LayerNorm scales 1), for training from scratch and for small tests.
   */
  public static BertCheckpoint random(BertConfig c, long seed, byte[] tokenizerJson) {
    java.util.Random r = new java.util.Random(seed);
    Map<String, Tensor> w = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expectedShapes(c).entrySet()) {
      float[] v = new float[(int) Tensor.numel(e.getValue())];
      String name = e.getKey();
      if (name.contains("LayerNorm.weight")) {
        java.util.Arrays.fill(v, 1f);
      } else if (name.endsWith(".weight")) {
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (r.nextGaussian() * 0.02);
        }
      }
      w.put(name, Tensor.ofFloats(e.getValue(), v));
    }
    return new BertCheckpoint(c, w, tokenizerJson);
  }

  /**
   * The same model with the document segment's token-type embedding (type 1) set to the query
   * segment's (type 0). A sentence encoder such as all-MiniLM-L6-v2 was trained on type 0 only;
   * with this, a cross-encoder made from it first reads the document's tokens as the encoder
   * learned to read any text.
   */
  public BertCheckpoint withTypeOneFromTypeZero() {
    Tensor t = weights.get("embeddings.token_type_embeddings.weight");
    float[] v = t.toFloats();
    int h = config.hiddenSize();
    for (int row = 1; row < config.typeVocabSize(); row++) {
      System.arraycopy(v, 0, v, row * h, h);
    }
    Map<String, Tensor> w = new LinkedHashMap<>(weights);
    w.put("embeddings.token_type_embeddings.weight", Tensor.ofFloats(t.shape(), v));
    return new BertCheckpoint(config, w, tokenizerJson);
  }

  /** The same model with only its first {@code n} layers (the paper's student from a 12-layer). */
  public BertCheckpoint firstLayers(int n) {
    BertConfig c = config.withLayers(n);
    Map<String, Tensor> w = new LinkedHashMap<>();
    for (String k : expectedShapes(c).keySet()) {
      w.put(k, weights.get(k));
    }
    return new BertCheckpoint(c, w, tokenizerJson);
  }

  /** Reads a Hugging Face folder: config.json, model.safetensors (or shards), tokenizer.json. */
  public static BertCheckpoint load(Path dir) {
    Path cfg = dir.resolve("config.json");
    Path tok = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(cfg)) {
      throw new InputFormatException(dir, "no config.json: not a Hugging Face model folder");
    }
    if (!Files.isRegularFile(tok)) {
      throw new InputFormatException(dir, "no tokenizer.json");
    }
    try {
      return of(BertConfig.read(cfg), Safetensors.readFolder(dir), Files.readAllBytes(tok));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a Hugging Face folder (config.json, model.safetensors, tokenizer.json). */
  public void save(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    config.write(dir.resolve("config.json"));
    Map<String, Tensor> named = new LinkedHashMap<>();
    weights.forEach((k, v) -> named.put(hfName(k), v));
    Safetensors.write(dir.resolve(Safetensors.SINGLE), named, Map.of("format", "pt"));
    AtomicFiles.writeBytes(dir.resolve("tokenizer.json"), os -> os.write(tokenizerJson));
    BertConfig.writeTokenizerConfig(dir);
  }

  /** Names of the tensors, in order. */
  public List<String> names() {
    return new ArrayList<>(weights.keySet());
  }
}
