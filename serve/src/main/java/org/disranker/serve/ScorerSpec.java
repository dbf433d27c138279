package org.disranker.serve;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.disranker.model.Devices;
import org.disranker.model.bert.Batch;
import org.disranker.model.llm.DecoderBatch;
import org.disranker.model.llm.DecoderTokenizer;
import org.disranker.model.llm.LlamaCheckpoint;
import org.disranker.model.llm.LlamaModel;
import org.disranker.model.llm.LoraConfig;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * Which model scores a pool and how; small and serializable, so that the driver ships it to the
 * executors and each executor opens the model itself (once: see {@link ExecutorModels}).
 *
 * @param kind {@code student} (an exported ONNX cross-encoder on ONNX Runtime), {@code teacher}
 *     (a decoder folder on DJL) or {@code biencoder} (a zero-shot bi-encoder teacher on ONNX
 *     Runtime: {@link BiEncoder.Spec}, named by {@code model})
 * @param model the model folder, as the executors see it: a path on a shared file system, or a
 *     relative name of an archive shipped with {@code spark-submit --archives}
 * @param onnx the student's ONNX file inside the folder ({@code model.onnx}, {@code
 *     model.int8.onnx}); ignored for the teacher
 * @param maxLength tokens per pair
 * @param batchSize pairs per batch
 * @param threads intra-op threads of one ONNX Runtime session (the student); 0: one per core
 * @param pooling the teacher's pooling, {@code last} or {@code mean}; for a bi-encoder {@code
 *     mean}, {@code cls} or empty for its authors' choice
 * @param template the teacher's input template
 */
public record ScorerSpec(String kind, String model, String onnx, int maxLength, int batchSize,
    int threads, String pooling, String template) implements Serializable {
  public ScorerSpec {
    if (!List.of("student", "teacher", "biencoder").contains(kind)) {
      throw new IllegalArgumentException("scorer must be student, teacher or biencoder, got "
          + kind);
    }
    if (kind.equals("biencoder")) {
      BiEncoder.Spec.named(model);
      if (!List.of("", "mean", "cls").contains(pooling)) {
        throw new IllegalArgumentException("bi-encoder pooling must be mean or cls, got "
            + pooling);
      }
    } else if (!pooling.equals("last") && !pooling.equals("mean")) {
      throw new IllegalArgumentException("pooling must be last or mean, got " + pooling);
    }
  }

  /** A student spec with the defaults of {@code rerank}. */
  public static ScorerSpec student(String model, String onnx, int maxLength, int batchSize,
      int threads) {
    return new ScorerSpec("student", model, onnx, maxLength, batchSize, threads, "last",
        DecoderTokenizer.DEFAULT_TEMPLATE);
  }

  /** A teacher spec. */
  public static ScorerSpec teacher(String model, int maxLength, int batchSize, String pooling,
      String template) {
    return new ScorerSpec("teacher", model, "", maxLength, batchSize, 0, pooling, template);
  }

  /** A bi-encoder spec: minilm, bge-small or e5-small, with its authors' pooling. */
  public static ScorerSpec biEncoder(String name, int maxLength, int batchSize, int threads) {
    return new ScorerSpec("biencoder", name, "", maxLength, batchSize, threads, "", "");
  }

  /** Opens the model this spec names. */
  public QueryScorer open() {
    if (kind.equals("biencoder")) {
      BiEncoder.Spec b = BiEncoder.Spec.named(model);
      if (!pooling.isEmpty()) {
        b = b.withPooling(BiEncoder.Pooling.valueOf(pooling.toUpperCase(java.util.Locale.ROOT)));
      }
      return new BiEncoderScorer(new BiEncoder(b, maxLength, threads), batchSize);
    }
    Path dir = Path.of(model);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model folder " + dir.toAbsolutePath() + " does not"
          + " exist on this machine (on a cluster: a shared path, or ship it with --archives)");
    }
    return kind.equals("student") ? new Student(this, dir) : new Teacher(this, dir);
  }

  /**
   * A bi-encoder teacher: the cosine of the query's and each document's embedding. Embeddings
   * are kept by text, so a passage that many queries retrieve is encoded once per scorer. (The
   * documents of a batch are those not yet kept, so a score may differ in the last float bits
   * between two runs that met the documents in another order.)
   */
  static final class BiEncoderScorer extends QueryScorer {
    private final BiEncoder enc;
    static final int MAX_CACHED = 500_000;
    private final Map<String, float[]> cache = new java.util.concurrent.ConcurrentHashMap<>();
    private final int batchSize;

    BiEncoderScorer(BiEncoder enc, int batchSize) {
      super(batchSize);
      this.enc = enc;
      this.batchSize = batchSize;
    }

    @Override
    protected Object encode(PairText p) {
      return new String[] {enc.spec().queryPrefix() + p.query(),
          enc.spec().documentPrefix() + p.studentText()};
    }

    @Override
    protected int length(Object encoded) {
      return ((String[]) encoded)[1].length();
    }

    @Override
    protected float[] scoreBatch(List<Object> encoded) {
      List<String> missing = new java.util.ArrayList<>();
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (Object o : encoded) {
        for (String t : (String[]) o) {
          if (!cache.containsKey(t) && seen.add(t)) {
            missing.add(t);
          }
        }
      }
      if (!missing.isEmpty()) {
        if (cache.size() + missing.size() > MAX_CACHED) {
          cache.clear(); // bounded memory on a long-lived executor
        }
        float[][] e = enc.embed(missing, null);
        for (int i = 0; i < e.length; i++) {
          cache.put(missing.get(i), e[i]);
        }
      }
      float[] out = new float[encoded.size()];
      for (int i = 0; i < out.length; i++) {
        String[] qd = (String[]) encoded.get(i);
        out[i] = BiEncoder.dot(cache.get(qd[0]), cache.get(qd[1]));
      }
      return out;
    }

    @Override
    public void close() {
      enc.close();
    }
  }

  /** The student: ONNX Runtime, whose sessions may run concurrently. */
  static final class Student extends QueryScorer {
    private final PairTokenizer tok;
    private final OnnxScorer scorer;

    Student(ScorerSpec s, Path dir) {
      super(s.batchSize());
      Path file = dir.resolve(s.onnx());
      Path tokenizer = dir.resolve("tokenizer.json");
      if (!Files.isRegularFile(file) || !Files.isRegularFile(tokenizer)) {
        throw new IllegalArgumentException("student folder " + dir + " must hold " + s.onnx()
            + " and tokenizer.json (disranker student export writes both)");
      }
      try {
        tok = new PairTokenizer(Files.readAllBytes(tokenizer), s.maxLength());
      } catch (IOException e) {
        throw new UncheckedIOException("reading " + tokenizer, e);
      }
      scorer = OnnxScorer.load(file, s.threads());
    }

    @Override
    protected Object encode(PairText p) {
      return tok.encode(p.query(), p.studentText());
    }

    @Override
    protected int length(Object encoded) {
      return ((PairTokenizer.Pair) encoded).length();
    }

    @Override
    protected float[] scoreBatch(List<Object> encoded) {
      return scorer.score(Batch.of(encoded.stream().map(e -> (PairTokenizer.Pair) e).toList()));
    }

    @Override
    public void close() {
      scorer.close();
      tok.close();
    }
  }

  /** The teacher: a DJL decoder, one forward pass at a time (it uses every core itself). */
  static final class Teacher extends QueryScorer {
    private final LlamaCheckpoint ckpt;
    private final DecoderTokenizer tok;
    private final LlamaModel llm;
    private final int maxLength;
    private final boolean mean;

    Teacher(ScorerSpec s, Path dir) {
      super(s.batchSize());
      ckpt = LlamaCheckpoint.load(dir);
      tok = new DecoderTokenizer(ckpt.tokenizerJson(), ckpt.config().bosTokenId(),
          ckpt.config().eosTokenId(), s.template());
      llm = LlamaModel.create(ckpt, Devices.best(), (LoraConfig) null);
      maxLength = s.maxLength();
      mean = s.pooling().equals("mean");
    }

    @Override
    protected Object encode(PairText p) {
      synchronized (tok) {
        return tok.rankInput(p.query(), p.title(), p.text(), maxLength);
      }
    }

    @Override
    protected int length(Object encoded) {
      return ((long[]) encoded).length;
    }

    @Override
    protected synchronized float[] scoreBatch(List<Object> encoded) {
      DecoderBatch b = DecoderBatch.of(encoded.stream().map(e -> (long[]) e).toList(), null,
          ckpt.config().padTokenId());
      try (var sub = llm.manager().newSubManager()) {
        return llm.score(b.idsArray(sub), b.maskArray(sub), mean).toFloatArray();
      }
    }

    @Override
    public synchronized void close() {
      llm.close();
      tok.close();
    }
  }
}
