package org.disranker.search;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Rescorer;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.disranker.retrieval.Bm25Index;
import org.disranker.serve.PairText;
import org.disranker.serve.QueryScorer;
import org.disranker.serve.ScorerSpec;

/**
 * A second stage for Lucene: an exported cross-encoder (the pipeline's {@code final/} folder, or
 * any {@code BertForSequenceClassification} folder with {@code model.onnx} / {@code
 * model.int8.onnx} and {@code tokenizer.json}) reads each of the first stage's top N hits from a
 * stored text field, scores it with the query text, and reorders the hits by that score.
 *
 * <p>Scoring goes through {@link QueryScorer}, the plan {@code disranker spark score} and {@code
 * rerank --per-query} use: a query's pairs sorted by input length, then document id, and cut into
 * batches, so a hit gets the same score here as in those commands.
 *
 * <p>A Lucene {@code Query} does not carry the user's text, so the rescorer asks for it: bind it
 * per search with {@link #forQuery(String)} (cheap, immutable), or give a supplier with {@link
 * #withQueryText(Supplier)}. This object and the rescorers it hands out are safe to share between
 * search threads: ONNX Runtime sessions run concurrently and nothing here is mutable. Close it
 * when done, to free the model.
 */
public final class CrossEncoderRescorer implements AutoCloseable {
  /** How a model folder is read and scored; {@link #open} loads it. */
  public static final class Options {
    int topN = 100;
    int batch = 32;
    int maxLength = 256;
    boolean int8 = true;
    int threads = 0;
    String textField = Bm25Index.TEXT;
    String idField = Bm25Index.ID;

    /** Hits of the first stage that are rescored (default 100); the others are dropped. */
    public Options topN(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("topN must be at least 1, got " + n);
      }
      this.topN = n;
      return this;
    }

    /** Pairs per model call (default 32). */
    public Options batch(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("batch must be at least 1, got " + n);
      }
      this.batch = n;
      return this;
    }

    /** Tokens per (query, passage) input (default 256). */
    public Options maxLength(int n) {
      if (n < 8) {
        throw new IllegalArgumentException("maxLength must be at least 8, got " + n);
      }
      this.maxLength = n;
      return this;
    }

    /** {@code model.int8.onnx} (true, the default) or {@code model.onnx}. */
    public Options int8(boolean b) {
      this.int8 = b;
      return this;
    }

    /** ONNX Runtime intra-op threads, 0 (default) for one per core. */
    public Options threads(int n) {
      this.threads = n;
      return this;
    }

    /** The stored field with the passage text (default {@code text}, as bm25 index writes). */
    public Options textField(String f) {
      this.textField = f;
      return this;
    }

    /** The stored field with the document id (default {@code id}). */
    public Options idField(String f) {
      this.idField = f;
      return this;
    }
  }

  private final Options opt;
  private final QueryScorer scorer;
  private final Path model;

  private CrossEncoderRescorer(Path model, Options opt, QueryScorer scorer) {
    this.model = model;
    this.opt = opt;
    this.scorer = scorer;
  }

  /** Default options. */
  public static Options options() {
    return new Options();
  }

  /**
   * Loads an exported cross-encoder folder.
   *
   * @throws IllegalArgumentException when the folder is missing or holds no export
   */
  public static CrossEncoderRescorer open(Path modelDir, Options opt) {
    String onnx = opt.int8 ? "model.int8.onnx" : "model.onnx";
    if (!Files.isDirectory(modelDir)) {
      throw new IllegalArgumentException("model folder not found: " + modelDir);
    }
    if (!Files.isRegularFile(modelDir.resolve(onnx))
        || !Files.isRegularFile(modelDir.resolve("tokenizer.json"))) {
      throw new IllegalArgumentException(modelDir + " is not a cross-encoder export: it needs "
          + onnx + " and tokenizer.json (the pipeline's final/ folder, or 'disranker student"
          + " export')");
    }
    QueryScorer s = ScorerSpec.student(modelDir.toString(), onnx,
        opt.maxLength, opt.batch, opt.threads).open();
    return new CrossEncoderRescorer(modelDir, opt, s);
  }

  /** A rescorer bound to one query text: build one per search. */
  public Rescorer forQuery(String queryText) {
    if (queryText == null || queryText.isBlank()) {
      throw new IllegalArgumentException("the query text is empty");
    }
    return withQueryText(() -> queryText);
  }

  /** A rescorer that asks the supplier for the query text at each call. */
  public Rescorer withQueryText(Supplier<String> queryText) {
    return new Rescorer() {
      @Override
      public TopDocs rescore(IndexSearcher searcher, TopDocs firstPass, int topN)
          throws IOException {
        return CrossEncoderRescorer.this.rescore(searcher, firstPass, Math.min(topN, opt.topN),
            queryText.get());
      }

      @Override
      public Explanation explain(IndexSearcher searcher, Explanation firstPass, int docId)
          throws IOException {
        return CrossEncoderRescorer.this.explain(searcher, firstPass, docId, queryText.get());
      }
    };
  }

  /**
   * The first {@code topN} hits of {@code firstPass} (at most the options' topN), each scored by
   * the cross-encoder, sorted by that score (ties: first-pass order). {@code scoreDoc.score}
   * becomes the cross-encoder's score.
   */
  public TopDocs rescore(IndexSearcher searcher, TopDocs firstPass, int topN, String queryText)
      throws IOException {
    if (queryText == null || queryText.isBlank()) {
      throw new IllegalArgumentException("the query text is empty");
    }
    ScoreDoc[] hits = firstPass.scoreDocs.clone();
    Arrays.sort(hits, Comparator.comparingDouble((ScoreDoc h) -> -h.score)
        .thenComparingInt(h -> h.doc));
    int n = Math.min(Math.min(topN, opt.topN), hits.length);
    if (n == 0) {
      return new TopDocs(firstPass.totalHits, new ScoreDoc[0]);
    }
    StoredFields stored = searcher.storedFields();
    List<PairText> pairs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      pairs.add(pair(stored, hits[i].doc, queryText));
    }
    float[] s = scorer.scoreQuery(pairs);
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> s[a] != s[b] ? Float.compare(s[b], s[a])
        : Integer.compare(a, b));
    ScoreDoc[] out = new ScoreDoc[n];
    for (int i = 0; i < n; i++) {
      ScoreDoc h = hits[order[i]];
      out[i] = new ScoreDoc(h.doc, s[order[i]], h.shardIndex);
    }
    return new TopDocs(new TotalHits(firstPass.totalHits.value, firstPass.totalHits.relation),
        out);
  }

  /** The cross-encoder's score of one document, with the first stage's explanation inside. */
  public Explanation explain(IndexSearcher searcher, Explanation firstPass, int docId,
      String queryText) throws IOException {
    float s = scorer.scoreQuery(List.of(pair(searcher.storedFields(), docId, queryText)))[0];
    return Explanation.match(s, "cross-encoder score of " + model.getFileName() + " ("
        + (opt.int8 ? "model.int8.onnx" : "model.onnx") + "), first-stage score "
        + firstPass.getValue(), firstPass);
  }

  private PairText pair(StoredFields stored, int doc, String queryText) throws IOException {
    Document d = stored.document(doc, Set.of(opt.idField, opt.textField));
    String id = d.get(opt.idField);
    String text = d.get(opt.textField);
    if (text == null) {
      throw new IllegalArgumentException("document " + doc + " has no stored field '"
          + opt.textField + "': rebuild the index with 'disranker bm25 index', which stores the"
          + " passage text");
    }
    return new PairText("q", id == null ? Integer.toString(doc) : id, queryText, "", text);
  }

  @Override
  public void close() {
    scorer.close();
  }
}
