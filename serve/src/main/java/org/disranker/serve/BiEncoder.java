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
  private final int maxLength;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final List<OrtSession> sessions = new ArrayList<>();
  private final PairTokenizer tok;
  private final String fingerprint;

  /**
   * Opens a model from the classpath (its Maven jar).
   *
   * @param maxLength tokens per text, [CLS] and [SEP] included
   * @param workers texts embedded at once, each on its own single-threaded ONNX Runtime session;
   *     0 for one per core
   */
  public BiEncoder(Spec spec, int maxLength, int workers) {
    this.spec = spec;
    this.maxLength = maxLength;
    byte[] onnx = resource(spec.onnxResource());
    byte[] tokenizer = resource(spec.tokenizerResource());
    int n = workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
    try {
      for (int i = 0; i < n; i++) {
        sessions.add(env.createSession(onnx, OnnxScorer.options(1)));
      }
    } catch (OrtException e) {
      sessions.forEach(BiEncoder::closeQuietly);
      throw new IllegalArgumentException("cannot load " + spec.onnxResource() + ": "
          + e.getMessage(), e);
    }
    this.tok = new PairTokenizer(tokenizer, maxLength);
    this.fingerprint = fingerprint(spec, maxLength, onnx, tokenizer);
  }

  /**
   * What an embedding depends on, as a hex SHA-256: the ONNX file and tokenizer.json (their
   * bytes), the pooling, the prefixes, the max length and the plan (one text per run).
   */
  static String fingerprint(Spec spec, int maxLength, byte[] onnx, byte[] tokenizer) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      md.update(onnx);
      md.update(tokenizer);
      md.update(("\n" + spec.pooling() + "\n" + spec.queryPrefix() + "\n" + spec.documentPrefix()
          + "\n" + maxLength + "\none text per run\n").getBytes(
              java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException ignored) {
      // closing after a failed load: the load error is the one to report
    }
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

  public int maxLength() {
    return maxLength;
  }

  /** See {@link #fingerprint(Spec, int, byte[], byte[])}: equal fingerprints, equal vectors. */
  public String fingerprint() {
    return fingerprint;
  }

  /**
   * Normalised embeddings of texts (the prefix already applied by the caller), with a progress
   * bar unless {@code label} is null.
   *
   * <p>Each text is run alone: no padding, and a vector that depends on its text only, never on
   * which texts shared its batch (e5-small-int8 quantizes its activations per tensor, so in a
   * batch every text moved every other). Texts are spread over the workers' sessions, one thread
   * each; on 2 cores that measured 125 texts/s against 95 for length-sorted batches of 32 on one
   * 2-thread session and 55 for the per-query batches used before (docs/BENCHMARKS.md).
   */
  public float[][] embed(List<String> texts, String label) {
    float[][] out = new float[texts.size()][];
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic
        .AtomicInteger();
    try (Progress p = label == null ? null : Progress.start(label, texts.size())) {
      Runnable[] work = new Runnable[Math.min(sessions.size(), Math.max(1, texts.size()))];
      for (int w = 0; w < work.length; w++) {
        OrtSession s = sessions.get(w);
        work[w] = () -> {
          for (int i = next.getAndIncrement(); i < texts.size(); i = next.getAndIncrement()) {
            PairTokenizer.Pair enc;
            synchronized (tok) {
              enc = tok.single(texts.get(i));
            }
            out[i] = embedOne(s, enc);
            if (p != null) {
              p.step(1);
            }
          }
        };
      }
      if (work.length == 1) {
        work[0].run();
      } else {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (Runnable r : work) {
          Thread t = new Thread(r, "embed");
          t.setDaemon(true);
          t.setUncaughtExceptionHandler((th, e) -> {
            errors.add(e);
            next.set(texts.size()); // the others stop at their next text
          });
          threads.add(t);
          t.start();
        }
        for (Thread t : threads) {
          try {
            t.join();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            next.set(texts.size());
            throw new IllegalStateException("interrupted while embedding", e);
          }
        }
        if (!errors.isEmpty()) {
          Throwable e = errors.get(0);
          throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
      }
    }
    return out;
  }

  private float[] embedOne(OrtSession session, PairTokenizer.Pair text) {
    Batch b = Batch.of(List.of(text));
    long[] shape = {1, b.length()};
    try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(b.ids()), shape);
        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(b.mask()), shape);
        OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(b.typeIds()), shape);
        OrtSession.Result r = session.run(Map.of("input_ids", ids, "attention_mask", mask,
            "token_type_ids", types))) {
      float[] h = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
      int len = b.length();
      int dim = h.length / len;
      float[] v = new float[dim];
      if (spec.pooling() == Pooling.CLS) {
        System.arraycopy(h, 0, v, 0, dim);
      } else {
        for (int t = 0; t < len; t++) {
          int off = t * dim;
          for (int k = 0; k < dim; k++) {
            v[k] += h[off + k];
          }
        }
        for (int k = 0; k < dim; k++) {
          v[k] /= len;
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
      return v;
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  /**
   * The cosine of each (query, document) pair; each distinct query and document is embedded
   * once, with the spec's prefixes.
   */
  public float[] score(List<String> queries, List<String> documents) {
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
    float[][] e = embed(texts, spec.name());
    float[] out = new float[queries.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = dot(e[qIndex.get(queries.get(i))], e[dIndex.get(documents.get(i))]);
    }
    return out;
  }

  public static float dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return (float) s;
  }

  @Override
  public void close() {
    tok.close();
    sessions.forEach(BiEncoder::closeQuietly);
  }
}
