package org.disranker.serve;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * A zero-shot bi-encoder on ONNX Runtime: each text is encoded alone as {@code [CLS] prefix+text
 * [SEP]}, its last hidden states are pooled (mean over the attention mask, or the [CLS] state)
 * and L2-normalised, and a pair scores the cosine of its query and document embeddings. The
 * sentence-embedding models whose ONNX exports Maven Central serves are {@link Spec}s; each
 * carries the pooling and the prefixes its authors trained with.
 */
public final class BiEncoder implements AutoCloseable {
  /** How token states become one vector. */
  public enum Pooling { MEAN, CLS }

  /**
   * A bi-encoder model: classpath resources of its ONNX file and tokenizer.json, its pooling and
   * the prefixes put before queries and documents.
   */
  public record Spec(String name, String onnxResource, String tokenizerResource, Pooling pooling,
      String queryPrefix, String documentPrefix) {

    /** all-MiniLM-L6-v2 (sentence-transformers): mean pooling, no prefixes. */
    public static final Spec MINILM = new Spec("minilm", BertCheckpoint.MINILM_ONNX,
        BertCheckpoint.MINILM_TOKENIZER, Pooling.MEAN, "", "");

    /**
     * bge-small-en-v1.5 (BAAI): [CLS] pooling, and the instruction its authors recommend for
     * short queries that retrieve passages.
     */
    public static final Spec BGE_SMALL = new Spec("bge-small", BertCheckpoint.BGE_SMALL_ONNX,
        BertCheckpoint.BGE_SMALL_TOKENIZER, Pooling.CLS,
        "Represent this sentence for searching relevant passages: ", "");

    /** e5-small-v2 (intfloat): mean pooling, "query: " and "passage: " prefixes. */
    public static final Spec E5_SMALL = new Spec("e5-small", BertCheckpoint.E5_SMALL_ONNX,
        BertCheckpoint.E5_SMALL_TOKENIZER, Pooling.MEAN, "query: ", "passage: ");

    /**
     * e5-small-v2 quantized to int8 (its langchain4j package's ONNX file): the same pooling and
     * prefixes, faster on a CPU.
     */
    public static final Spec E5_SMALL_INT8 = new Spec("e5-small-int8", "e5-small-v2-q.onnx",
        "e5-small-v2-q-tokenizer.json", Pooling.MEAN, "query: ", "passage: ");

    public static final List<Spec> ALL = List.of(MINILM, BGE_SMALL, E5_SMALL, E5_SMALL_INT8);

    /** The spec of a name (minilm, bge-small, e5-small, e5-small-int8). */
    public static Spec named(String name) {
      for (Spec s : ALL) {
        if (s.name.equals(name)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown bi-encoder '" + name + "' (known: "
          + String.join(", ", ALL.stream().map(Spec::name).toList()) + ")");
    }

    /** The same model with another pooling (to measure what the authors' choice is worth). */
    public Spec withPooling(Pooling p) {
      return new Spec(name, onnxResource, tokenizerResource, p, queryPrefix, documentPrefix);
    }
  }

  private final Spec spec;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final PairTokenizer tok;

  /**
   * Opens a model from the classpath (its Maven jar).
   *
   * @param maxLength tokens per text, [CLS] and [SEP] included
   * @param threads ONNX Runtime intra-op threads, 0 for one per core
   */
  public BiEncoder(Spec spec, int maxLength, int threads) {
    this.spec = spec;
    byte[] onnx = resource(spec.onnxResource());
    try {
      this.session = env.createSession(onnx, OnnxScorer.options(threads));
    } catch (OrtException e) {
      throw new IllegalArgumentException("cannot load " + spec.onnxResource() + ": "
          + e.getMessage(), e);
    }
    this.tok = new PairTokenizer(resource(spec.tokenizerResource()), maxLength);
  }

  static byte[] resource(String name) {
    try (InputStream in = BiEncoder.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalArgumentException("resource " + name + " not on the classpath (is the"
            + " model's Maven artifact a dependency?)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Spec spec() {
    return spec;
  }

  /**
   * Normalised embeddings of texts (the prefix already applied by the caller), in length-sorted
   * batches, with a progress bar unless {@code label} is null.
   */
  public float[][] embed(List<String> texts, int batchSize, String label) {
    List<PairTokenizer.Pair> enc = new ArrayList<>(texts.size());
    for (String t : texts) {
      enc.add(tok.single(t));
    }
    List<Integer> order = Batch.lengthOrder(enc);
    float[][] out = new float[texts.size()][];
    try (Progress p = label == null ? null : Progress.start(label, texts.size())) {
      for (int s = 0; s < order.size(); s += batchSize) {
        List<Integer> idx = order.subList(s, Math.min(order.size(), s + batchSize));
        List<PairTokenizer.Pair> chunk = new ArrayList<>(idx.size());
        idx.forEach(i -> chunk.add(enc.get(i)));
        float[][] e = embedBatch(Batch.of(chunk));
        for (int j = 0; j < idx.size(); j++) {
          out[idx.get(j)] = e[j];
        }
        if (p != null) {
          p.step(idx.size());
        }
      }
    }
    return out;
  }

  private float[][] embedBatch(Batch b) {
    long[] shape = {b.size(), b.length()};
    try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(b.ids()), shape);
        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(b.mask()), shape);
        OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(b.typeIds()), shape);
        OrtSession.Result r = session.run(Map.of("input_ids", ids, "attention_mask", mask,
            "token_type_ids", types))) {
      float[] h = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
      int len = b.length();
      int dim = h.length / (b.size() * len);
      float[][] out = new float[b.size()][dim];
      for (int i = 0; i < b.size(); i++) {
        float[] v = out[i];
        if (spec.pooling() == Pooling.CLS) {
          System.arraycopy(h, i * len * dim, v, 0, dim);
        } else {
          int n = 0;
          for (int t = 0; t < len; t++) {
            if (b.mask()[i * len + t] == 0) {
              continue;
            }
            n++;
            int off = (i * len + t) * dim;
            for (int k = 0; k < dim; k++) {
              v[k] += h[off + k];
            }
          }
          for (int k = 0; k < dim; k++) {
            v[k] /= n;
          }
        }
        double norm = 0;
        for (float x : v) {
          norm += x * x;
        }
        float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
        for (int k = 0; k < dim; k++) {
          v[k] *= inv;
        }
      }
      return out;
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  /**
   * The cosine of each (query, document) pair; each distinct query and document is embedded
   * once, with the spec's prefixes.
   */
  public float[] score(List<String> queries, List<String> documents, int batchSize) {
    if (queries.size() != documents.size()) {
      throw new IllegalArgumentException("queries and documents differ in number");
    }
    Map<String, Integer> qIndex = new HashMap<>();
    Map<String, Integer> dIndex = new HashMap<>();
    List<String> texts = new ArrayList<>();
    for (String q : queries) {
      qIndex.computeIfAbsent(q, k -> {
        texts.add(spec.queryPrefix() + k);
        return texts.size() - 1;
      });
    }
    for (String d : documents) {
      dIndex.computeIfAbsent(d, k -> {
        texts.add(spec.documentPrefix() + k);
        return texts.size() - 1;
      });
    }
    float[][] e = embed(texts, batchSize, spec.name());
    float[] out = new float[queries.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = dot(e[qIndex.get(queries.get(i))], e[dIndex.get(documents.get(i))]);
    }
    return out;
  }

  static float dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return (float) s;
  }

  @Override
  public void close() {
    tok.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
