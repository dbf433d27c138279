package org.disranker.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Bm25SearcherTest {
  @TempDir Path tmp;

  static final List<Document> DOCS = List.of(
      new Document("d1", "Wings", "lift of a wing in a slipstream"),
      new Document("d2", "", "boundary layer flow over a flat plate"),
      new Document("d3", "Plates", "heat transfer in plates and plates"));

  /** Lucene's BM25 (no k1+1 factor): idf · tf / (tf + k1 · (1 − b + b · dl / avgdl)). */
  static double bm25(double tf, double dl, double avgdl, int n, int df, double k1, double b) {
    double idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl));
  }

  @Test
  void scoresFollowTheBm25Formula() {
    Path index = tmp.resolve("idx");
    Bm25Index.build(index, DOCS);
    try (Bm25Searcher s = new Bm25Searcher(index, 0.9f, 0.4f)) {
      assertEquals(3, s.numDocs());
      // After stop words: d1 = wing lift wing slipstream (4), d2 = boundari layer flow over flat
      // plate (6), d3 = plate heat transfer plate plate (5); avgdl = 5.
      List<ScoredDoc> hits = s.search("plates", 10);
      assertEquals(List.of("d3", "d2"), hits.stream().map(ScoredDoc::docid).toList());
      assertEquals(bm25(3, 5, 5, 3, 2, 0.9, 0.4), hits.get(0).score(), 1e-5);
      assertEquals(bm25(1, 6, 5, 3, 2, 0.9, 0.4), hits.get(1).score(), 1e-5);
      assertEquals(1, hits.get(0).rank());
      // a repeated query term weighs twice
      double twice = s.search("wing wing", 10).get(0).score();
      assertEquals(2 * bm25(2, 4, 5, 3, 1, 0.9, 0.4), twice, 1e-5);
      assertTrue(s.search("the of and", 10).isEmpty());
    }
  }

  @Test
  void searchAllWritesEveryQueryAndRespectsK() {
    Path index = tmp.resolve("idx");
    Bm25Index.build(index, DOCS);
    try (Bm25Searcher s = new Bm25Searcher(index, 0.9f, 0.4f)) {
      Run run = s.searchAll(Map.of("q1", new Query("q1", "flow over plates")), 1, "bm25");
      assertEquals(1, run.get("q1").size());
      assertEquals("d2", run.get("q1").get(0).docid());
    }
  }

  @Test
  void rebuildReplacesTheIndexAndLeavesNoTemporaryFolder() throws Exception {
    Path index = tmp.resolve("idx");
    Bm25Index.build(index, DOCS);
    Bm25Index.build(index, DOCS.subList(0, 1));
    try (Bm25Searcher s = new Bm25Searcher(index, 0.9f, 0.4f)) {
      assertEquals(1, s.numDocs());
    }
    assertFalse(Files.exists(tmp.resolve("idx.building")));
  }

  @Test
  void missingIndexIsAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Bm25Searcher(tmp.resolve("none"), 0.9f, 0.4f));
    assertTrue(e.getMessage().contains("index not found"));
  }
}
