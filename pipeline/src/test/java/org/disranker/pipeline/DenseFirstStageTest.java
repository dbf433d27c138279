package org.disranker.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.util.Progress;
import org.disranker.retrieval.PoolBuilder;
import org.disranker.serve.BiEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DenseFirstStageTest {
  @TempDir Path dir;

  @Test
  void theTopKIsByDotProductWithTiesByDocid() {
    float[][] docs = {{1, 0}, {0, 1}, {0.5f, 0.5f}, {1, 0}};
    List<ScoredDoc> top = DenseFirstStage.top(new float[] {1, 0}, docs,
        List.of("b", "c", "d", "a"), 3);
    assertEquals(List.of("a", "b", "d"), top.stream().map(ScoredDoc::docid).toList());
    assertEquals(List.of(1, 2, 3), top.stream().map(ScoredDoc::rank).toList());
    assertEquals(0.5, top.get(2).score(), 1e-6);
  }

  /**
   * The bi-encoder finds the passage that shares no word with the query, which BM25 cannot
   * return, and its scores are the cosines the same model gives as a teacher of those pairs.
   */
  @Test
  void aBiEncoderPoolFindsWhatBm25CannotWithTheTeachersScores() throws Exception {
    Progress.setQuiet(true);
    List<Document> corpus = List.of(
        new Document("car", "", "Repairing an automobile motor, step by step."),
        new Document("art", "", "The history of Renaissance painting in Florence."),
        new Document("bread", "", "Baking sourdough bread at home needs a starter."),
        new Document("fix", "", "How to fix a leaking kitchen tap."));
    Map<String, Query> queries = new LinkedHashMap<>();
    queries.put("q1", new Query("q1", "car engine fix"));
    queries.put("q2", new Query("q2", "loaf of rye"));
    PoolBuilder.build(queries, 0, 1, corpus, List.of(), Set.of(), 2, 0, Map.of(),
        dir.resolve("bm25"));
    PoolBuilder.build(queries, 0, 1, corpus, List.of(), Set.of(), 2, 0, Map.of(),
        dir.resolve("dense"), DenseFirstStage.of("test", "minilm", 64, 1));
    Run bm25 = Datasets.open(dir.resolve("bm25"), null).firstStage();
    Run dense = Datasets.open(dir.resolve("dense"), null).firstStage();
    assertTrue(bm25.get("q1").stream().noneMatch(s -> s.docid().equals("car")), "BM25: "
        + bm25.get("q1"));
    assertTrue(!bm25.queryIds().contains("q2"), "no word of 'loaf of rye' is in the corpus");
    assertEquals("car", dense.ordered("q1", Run.Order.SCORE).get(0).docid());
    assertEquals("bread", dense.ordered("q2", Run.Order.SCORE).get(0).docid());
    assertEquals(2, dense.get("q1").size());
    assertTrue(Files.readString(dir.resolve("dense/pool.json")).contains(
        "\"firstStage\" : \"minilm\""));
    try (BiEncoder b = new BiEncoder(BiEncoder.Spec.named("minilm"), 64, 1)) {
      for (String q : List.of("q1", "q2")) {
        for (ScoredDoc sd : dense.get(q)) {
          String text = corpus.stream().filter(d -> d.id().equals(sd.docid())).findFirst()
              .orElseThrow().text();
          float teacher = b.score(List.of(queries.get(q).text()), List.of(text))[0];
          assertEquals(teacher, sd.score(), 1e-5, q + " " + sd.docid());
        }
      }
    }
  }

  @Test
  void anUnknownFirstStageIsRefusedByName() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> DenseFirstStage.of("pool.firstStage", "splade", 64, 1));
    assertTrue(e.getMessage().startsWith("pool.firstStage: 'splade' is neither bm25 nor a"
        + " bi-encoder (minilm, "), e.getMessage());
  }
}
