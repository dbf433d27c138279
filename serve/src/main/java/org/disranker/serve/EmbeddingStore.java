package org.disranker.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.util.Progress;

/**
 * The vectors of a bi-encoder, kept on disk, one per distinct text: a teacher costs what its
 * distinct texts cost however many pairs, stages and commands ask for them. A pair's score is the
 * dot product of two stored unit vectors, the same float that {@link BiEncoder#score} gives.
 *
 * <p>A store is a folder {@code ROOT/MODEL-LMAXLEN-FP} ({@code FP}: the first 12 hex digits of the
 * encoder's {@linkplain BiEncoder#fingerprint() fingerprint}, so another model file, pooling,
 * prefix or length gets another folder) holding {@code store.json} (the whole fingerprint, model
 * and dimension) and {@code vectors.bin}: records of a 16-byte key (the first half of the SHA-256
 * of the text as embedded, prefix included) and the vector as little-endian floats. New vectors
 * are appended in chunks and flushed; a process killed mid-chunk leaves at most a torn last record,
 * which the next open cuts off, so the work done survives and is not done again.
 *
 * <p>Not for concurrent writers: one process at a time per store (the pipeline runs its stages one
 * after another).
 */
public final class EmbeddingStore implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int KEY_BYTES = 16;
  /** Texts embedded between two appends (and flushes) of the vectors file. */
  static final int CHUNK = 64;

  private final BiEncoder enc;
  private final Path dir;
  private final Path file;
  private final int dim;
  private final Map<Key, float[]> vectors = new HashMap<>();
  private long embeddedNow;

  /** A text's key: the first 16 bytes of its SHA-256. */
  record Key(long hi, long lo) {
    static Key of(String text) {
      try {
        byte[] h = MessageDigest.getInstance("SHA-256").digest(text.getBytes(
            StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.wrap(h);
        return new Key(b.getLong(), b.getLong());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private EmbeddingStore(BiEncoder enc, Path dir, int dim) {
    this.enc = enc;
    this.dir = dir;
    this.file = dir.resolve("vectors.bin");
    this.dim = dim;
  }

  /** The folder under {@code root} that holds the vectors of this encoder. */
  public static Path folder(Path root, BiEncoder enc) {
    return root.resolve(enc.spec().name() + "-L" + enc.maxLength() + "-"
        + enc.fingerprint().substring(0, 12));
  }

  /**
   * Opens (or creates) the store of an encoder under {@code root}; the store takes the encoder
   * and closes it. Reads every vector already stored; cuts a torn last record.
   */
  public static EmbeddingStore open(Path root, BiEncoder enc) {
    Path dir = folder(root, enc);
    try {
      Files.createDirectories(dir);
      Path meta = dir.resolve("store.json");
      int dim;
      if (Files.isRegularFile(meta)) {
        JsonNode m = JSON.readTree(meta.toFile());
        if (!enc.fingerprint().equals(m.path("fingerprint").asText())) {
          throw new IllegalArgumentException(meta + ": made by another encoder (fingerprint "
              + m.path("fingerprint").asText() + ", this one " + enc.fingerprint()
              + "); remove the folder");
        }
        dim = m.path("dimension").asInt();
      } else {
        dim = enc.embed(List.of("dimension probe"), null)[0].length;
        ObjectNode m = JSON.createObjectNode();
        m.put("model", enc.spec().name());
        m.put("maxLength", enc.maxLength());
        m.put("pooling", enc.spec().pooling().toString());
        m.put("queryPrefix", enc.spec().queryPrefix());
        m.put("documentPrefix", enc.spec().documentPrefix());
        m.put("dimension", dim);
        m.put("plan", "each text embedded alone (no padding, no batch effects)");
        m.put("record", KEY_BYTES + "-byte key (SHA-256 of the embedded text, first half), then "
            + dim + " little-endian float32");
        m.put("fingerprint", enc.fingerprint());
        AtomicFiles.writeString(meta, JSON.writerWithDefaultPrettyPrinter()
            .writeValueAsString(m) + "\n");
      }
      EmbeddingStore s = new EmbeddingStore(enc, dir, dim);
      s.load();
      return s;
    } catch (IOException e) {
      enc.close();
      throw new UncheckedIOException("opening the embedding store " + dir, e);
    } catch (RuntimeException e) {
      enc.close();
      throw e;
    }
  }

  private int recordBytes() {
    return KEY_BYTES + 4 * dim;
  }

  private void load() throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    long size = Files.size(file);
    long whole = size - size % recordBytes();
    if (whole != size) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(whole);
      }
      System.err.println("embedding store " + dir + ": cut a torn last record ("
          + (size - whole) + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    while (b.remaining() >= recordBytes()) {
      long hi = b.order(ByteOrder.BIG_ENDIAN).getLong();
      long lo = b.getLong();
      b.order(ByteOrder.LITTLE_ENDIAN);
      float[] v = new float[dim];
      for (int i = 0; i < dim; i++) {
        v[i] = b.getFloat();
      }
      vectors.put(new Key(hi, lo), v);
    }
  }

  public BiEncoder encoder() {
    return enc;
  }

  public Path dir() {
    return dir;
  }

  /** Vectors held. */
  public int size() {
    return vectors.size();
  }

  /** Texts embedded by this object (not found in the store). */
  public long embeddedNow() {
    return embeddedNow;
  }

  /**
   * Makes sure every text (prefix already applied) has its vector stored, embedding the missing
   * ones in chunks that are appended as they finish.
   *
   * @param stop checked between chunks; null: never
   * @return false when stopped early
   */
  public boolean ensure(List<String> texts, String label,
      java.util.function.BooleanSupplier stop) {
    Set<String> missing = new LinkedHashSet<>();
    for (String t : texts) {
      if (!vectors.containsKey(Key.of(t))) {
        missing.add(t);
      }
    }
    if (missing.isEmpty()) {
      return true;
    }
    List<String> todo = new ArrayList<>(missing);
    try (OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
        Progress p = label == null ? null : Progress.start(label, todo.size())) {
      for (int s = 0; s < todo.size(); s += CHUNK) {
        if (stop != null && stop.getAsBoolean()) {
          return false;
        }
        List<String> chunk = todo.subList(s, Math.min(todo.size(), s + CHUNK));
        float[][] e = enc.embed(chunk, null);
        ByteBuffer b = ByteBuffer.allocate(chunk.size() * recordBytes());
        Key[] keys = new Key[chunk.size()];
        for (int i = 0; i < chunk.size(); i++) {
          Key k = keys[i] = Key.of(chunk.get(i));
          b.order(ByteOrder.BIG_ENDIAN).putLong(k.hi()).putLong(k.lo());
          b.order(ByteOrder.LITTLE_ENDIAN);
          for (float x : e[i]) {
            b.putFloat(x);
          }
        }
        os.write(b.array());
        os.flush();
        for (int i = 0; i < chunk.size(); i++) {
          vectors.put(keys[i], e[i]);
        }
        embeddedNow += chunk.size();
        if (p != null) {
          p.step(chunk.size());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + file, e);
    }
    return true;
  }

  /** The stored vector of a text as embedded (prefix included). */
  public float[] vector(String text) {
    float[] v = vectors.get(Key.of(text));
    if (v == null) {
      throw new IllegalStateException("no vector stored for a text; call ensure() first");
    }
    return v;
  }

  /** The query text as the encoder embeds it (with its prefix). */
  public String queryText(String query) {
    return enc.spec().queryPrefix() + query;
  }

  /** The document text as the encoder embeds it (with its prefix). */
  public String documentText(String document) {
    return enc.spec().documentPrefix() + document;
  }

  /**
   * The cosine of each (query, document) pair, embedding the texts not yet stored first.
   */
  public float[] score(List<String> queries, List<String> documents, String label) {
    if (queries.size() != documents.size()) {
      throw new IllegalArgumentException("queries and documents differ in number");
    }
    List<String> texts = new ArrayList<>(queries.size() * 2);
    queries.forEach(q -> texts.add(queryText(q)));
    documents.forEach(d -> texts.add(documentText(d)));
    ensure(texts, label, null);
    float[] out = new float[queries.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = BiEncoder.dot(vector(texts.get(i)), vector(texts.get(queries.size() + i)));
    }
    return out;
  }

  /**
   * A pool scorer that reads this store: its pairs' texts must have been {@linkplain #ensure
   * ensured}. It writes what {@link PoolScorer} writes for the same model through
   * {@link ScorerSpec#biEncoder}, to the float.
   */
  public QueryScorer scorer() {
    return new QueryScorer(1) {
      @Override
      protected Object encode(PairText p) {
        return new String[] {queryText(p.query()), documentText(p.studentText())};
      }

      @Override
      protected int length(Object encoded) {
        return ((String[]) encoded)[1].length();
      }

      @Override
      protected float[] scoreBatch(List<Object> encoded) {
        float[] out = new float[encoded.size()];
        for (int i = 0; i < out.length; i++) {
          String[] qd = (String[]) encoded.get(i);
          out[i] = BiEncoder.dot(vector(qd[0]), vector(qd[1]));
        }
        return out;
      }
    };
  }

  /** How {@link #scorePool} ended: its pool scorer's result (null when stopped while embedding). */
  public record PoolResult(int distinctTexts, long embeddedNow, PoolScorer.Result scored) {
    public boolean interrupted() {
      return scored == null || scored.interrupted();
    }
  }

  /**
   * Scores a pool into {@code out} as {@link PoolScorer} does: the pool's distinct texts are
   * embedded into this store first (those there already are read), then each pair is a dot
   * product. Both steps resume after a kill.
   *
   * @param info what the scores' manifest records (model, length, where the store is)
   * @param stop checked between chunks and queries; null: never
   */
  public PoolResult scorePool(List<List<PairText>> pool, Path out, Map<String, Object> info,
      org.disranker.core.util.Interruption stop, String label) {
    List<String> texts = texts(pool);
    if (!ensure(texts, label, stop == null ? null : stop::requested)) {
      return new PoolResult(texts.size(), embeddedNow, null);
    }
    return new PoolResult(texts.size(), embeddedNow, PoolScorer.score(pool, scorer(), out, info,
        stop, -1));
  }

  /** The texts of a pool (queries and documents with their prefixes), each once. */
  public List<String> texts(List<List<PairText>> pool) {
    Set<String> out = new LinkedHashSet<>();
    for (List<PairText> q : pool) {
      for (PairText p : q) {
        out.add(queryText(p.query()));
      }
    }
    for (List<PairText> q : pool) {
      for (PairText p : q) {
        out.add(documentText(p.studentText()));
      }
    }
    return new ArrayList<>(out);
  }

  @Override
  public void close() {
    enc.close();
  }
}
