package org.disranker.pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.stream.IntStream;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.ScoredDoc;
import org.disranker.retrieval.PoolBuilder;
import org.disranker.serve.BiEncoder;
import org.disranker.serve.EmbeddingStore;

/**
 * A pool's first stage by a zero-shot bi-encoder: every passage and query is embedded once (with
 * the model's prefixes), and each query's candidates are the k passages of highest cosine, by
 * exact search over all of them. The scores are the cosines, the same numbers the bi-encoder
 * gives as a teacher of those pairs. It finds passages that share no word with the query, which
 * BM25 cannot.
 */
public final class DenseFirstStage implements PoolBuilder.FirstStage {
  private final BiEncoder.Spec spec;
  private final int maxLength;
  private final int threads;
  private final Path store;

  /**
   * @param model a bi-encoder name ({@link BiEncoder.Spec#named})
   * @param maxLength tokens per text
   * @param threads ONNX Runtime threads, 0 for one per core
   */
  public DenseFirstStage(String model, int maxLength, int threads) {
    this(model, maxLength, threads, null);
  }

  /**
   * As above, keeping the vectors in an embedding store under {@code store} (null: none), so
   * that the teachers' stages that follow read them instead of embedding again.
   */
  public DenseFirstStage(String model, int maxLength, int threads, Path store) {
    this.spec = BiEncoder.Spec.named(model);
    this.maxLength = maxLength;
    this.threads = threads;
    this.store = store;
  }

  /**
   * A pool's first stage by name: {@code bm25}, or a bi-encoder's exact cosine search.
   *
   * @param what the option or config field that named it, for the error
   */
  public static PoolBuilder.FirstStage of(String what, String name, int maxLength, int threads) {
    return of(what, name, maxLength, threads, null);
  }

  /** As above, a bi-encoder keeping its vectors in an embedding store under {@code store}. */
  public static PoolBuilder.FirstStage of(String what, String name, int maxLength, int threads,
      Path store) {
    if (name.equals(PoolBuilder.BM25.name())) {
      return PoolBuilder.BM25;
    }
    if (BiEncoder.Spec.ALL.stream().noneMatch(s -> s.name().equals(name))) {
      throw new IllegalArgumentException(what + ": '" + name + "' is neither bm25 nor a"
          + " bi-encoder (" + String.join(", ", BiEncoder.Spec.ALL.stream().map(
              BiEncoder.Spec::name).toList()) + ")");
    }
    return new DenseFirstStage(name, maxLength, threads, store);
  }

  @Override
  public String name() {
    return spec.name();
  }

  @Override
  public Map<String, List<ScoredDoc>> retrieve(Map<String, Query> queries,
      Map<String, Document> docs, int k, Path workDir) {
    List<String> ids = new ArrayList<>(docs.keySet());
    List<String> docTexts = new ArrayList<>(ids.size());
    for (String id : ids) {
      docTexts.add(spec.documentPrefix() + docs.get(id).text());
    }
    List<String> qids = new ArrayList<>(queries.keySet());
    List<String> queryTexts = new ArrayList<>(qids.size());
    for (String q : qids) {
      queryTexts.add(spec.queryPrefix() + queries.get(q).text());
    }
    float[][] d;
    float[][] q;
    if (store == null) {
      try (BiEncoder enc = new BiEncoder(spec, maxLength, threads)) {
        d = enc.embed(docTexts, spec.name() + " passages");
        q = enc.embed(queryTexts, spec.name() + " queries");
      }
    } else {
      try (EmbeddingStore st = EmbeddingStore.open(store, new BiEncoder(spec, maxLength,
          threads))) {
        st.ensure(docTexts, spec.name() + " passages", null);
        st.ensure(queryTexts, spec.name() + " queries", null);
        d = docTexts.stream().map(st::vector).toArray(float[][]::new);
        q = queryTexts.stream().map(st::vector).toArray(float[][]::new);
      }
    }
    List<List<ScoredDoc>> tops = IntStream.range(0, qids.size()).parallel()
        .mapToObj(i -> top(q[i], d, ids, k)).toList();
    Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
    for (int i = 0; i < qids.size(); i++) {
      out.put(qids.get(i), tops.get(i));
    }
    return out;
  }

  /** The k passages of highest dot product with the query, best first (ties by docid). */
  static List<ScoredDoc> top(float[] query, float[][] docs, List<String> ids, int k) {
    PriorityQueue<ScoredDoc> heap = new PriorityQueue<>((a, b) -> a.score() != b.score()
        ? Double.compare(a.score(), b.score()) : b.docid().compareTo(a.docid()));
    for (int j = 0; j < docs.length; j++) {
      float[] e = docs[j];
      double dot = 0;
      for (int t = 0; t < e.length; t++) {
        dot += query[t] * e[t];
      }
      float s = (float) dot; // as BiEncoder.score rounds it
      if (heap.size() < k) {
        heap.add(new ScoredDoc(ids.get(j), s, 0));
      } else if (s > heap.peek().score()) {
        heap.poll();
        heap.add(new ScoredDoc(ids.get(j), s, 0));
      }
    }
    List<ScoredDoc> l = new ArrayList<>(heap);
    l.sort((a, b) -> a.score() != b.score() ? Double.compare(b.score(), a.score())
        : a.docid().compareTo(b.docid()));
    List<ScoredDoc> ranked = new ArrayList<>(l.size());
    for (int r = 0; r < l.size(); r++) {
      ranked.add(new ScoredDoc(l.get(r).docid(), l.get(r).score(), r + 1));
    }
    return ranked;
  }
}
