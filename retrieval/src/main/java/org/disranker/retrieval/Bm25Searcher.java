package org.disranker.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.util.Progress;

/**
 * BM25 search over an index of {@link Bm25Index}. A query is analysed like the documents and
 * becomes a bag of words: one optional term clause per distinct term, boosted by how often the
 * term occurs in the query. Defaults k1 = 0.9, b = 0.4 are Anserini's.
 */
public final class Bm25Searcher implements AutoCloseable {
  public static final float DEFAULT_K1 = 0.9f;
  public static final float DEFAULT_B = 0.4f;

  private final FSDirectory dir;
  private final DirectoryReader reader;
  private final IndexSearcher searcher;
  private final Analyzer analyzer = Bm25Index.analyzer();

  public Bm25Searcher(Path indexDir, float k1, float b) {
    if (!Files.isDirectory(indexDir)) {
      throw new IllegalArgumentException("index not found: " + indexDir
          + " (build it with 'disranker bm25 index')");
    }
    try {
      dir = FSDirectory.open(indexDir);
      reader = DirectoryReader.open(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("opening index " + indexDir, e);
    }
    searcher = new IndexSearcher(reader);
    searcher.setSimilarity(new BM25Similarity(k1, b));
  }

  public int numDocs() {
    return reader.numDocs();
  }

  /** The Lucene searcher (BM25 with this searcher's k1 and b). */
  public IndexSearcher searcher() {
    return searcher;
  }

  /**
   * The BM25 query of a text: one optional clause per distinct analysed term, boosted by its
   * count; null when no term is left (a query of stop words only).
   */
  public org.apache.lucene.search.Query query(String text) {
    Map<String, Integer> counts = analyze(text);
    if (counts.isEmpty()) {
      return null;
    }
    BooleanQuery.Builder q = new BooleanQuery.Builder();
    counts.forEach((term, n) -> {
      TermQuery tq = new TermQuery(new Term(Bm25Index.CONTENTS, term));
      q.add(n == 1 ? tq : new BoostQuery(tq, n), BooleanClause.Occur.SHOULD);
    });
    return q.build();
  }

  /** The top {@code k} documents for a query text, in trec_eval order (ties by docid desc). */
  public List<ScoredDoc> search(String text, int k) {
    org.apache.lucene.search.Query q = query(text);
    if (q == null) {
      return List.of();
    }
    try {
      TopDocs top = searcher.search(q, k);
      StoredFields stored = searcher.storedFields();
      List<ScoredDoc> out = new ArrayList<>(top.scoreDocs.length);
      for (ScoreDoc sd : top.scoreDocs) {
        String id = stored.document(sd.doc, Set.of(Bm25Index.ID)).get(Bm25Index.ID);
        out.add(new ScoredDoc(id, sd.score, 0));
      }
      return Run.ranked("bm25", Map.of("q", out)).get("q");
    } catch (IOException e) {
      throw new UncheckedIOException("searching", e);
    }
  }

  /** Searches every query, with a progress bar, into a run whose ranks follow trec_eval order. */
  public Run searchAll(Map<String, Query> queries, int k, String name) {
    Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
    try (Progress p = Progress.start("bm25", queries.size())) {
      for (Query query : queries.values()) {
        out.put(query.id(), search(query.text(), k));
        p.step();
      }
    }
    return new Run(name, out);
  }

  /** Analysed terms of a text with their counts, in first-seen order. */
  Map<String, Integer> analyze(String text) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    try (TokenStream ts = analyzer.tokenStream(Bm25Index.CONTENTS, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        counts.merge(term.toString(), 1, Integer::sum);
      }
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return counts;
  }

  @Override
  public void close() {
    try {
      reader.close();
      dir.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
