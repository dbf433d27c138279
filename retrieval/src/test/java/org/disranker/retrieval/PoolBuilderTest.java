package org.disranker.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.util.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolBuilderTest {
  @TempDir Path dir;

  static List<Document> corpus() {
    List<Document> docs = new ArrayList<>();
    String[] words = "wing lift air drag heat plate flow storm cloud rain jet flight".split(" ");
    for (int i = 0; i < 12; i++) {
      docs.add(new Document("d" + i, "", words[i] + " " + words[(i + 1) % 12] + " text"));
    }
    return docs;
  }

  @Test
  void aPoolIsAGenericDatasetWithoutTheTestSetsQueriesAndPassages() throws IOException {
    Progress.setQuiet(true);
    Map<String, Query> queries = new LinkedHashMap<>();
    queries.put("1", new Query("1", "wing lift"));
    queries.put("2", new Query("2", "Heat, plate!"));
    queries.put("3", new Query("3", "storm cloud"));
    queries.put("4", new Query("4", "zebra")); // no hit: left out
    // the test set holds query "heat plate" (under another id) and passage d7
    List<Query> test = List.of(new Query("t9", "heat plate"));
    PoolBuilder.Result r = PoolBuilder.build(queries, 0, 1, corpus(), test, Set.of("d7"), 3, 2,
        Map.of("corpus", "test"), dir.resolve("pool"));
    assertEquals(2, r.queries());
    assertEquals(1, r.excludedQueries());
    assertEquals(1, r.excludedPassages());
    Dataset d = Datasets.open(dir.resolve("pool"), null);
    assertEquals(Set.of("1", "3"), d.queries().keySet());
    Run run = d.firstStage();
    for (String q : run.queryIds()) {
      var l = run.ordered(q, Run.Order.SCORE);
      // "wing lift" matches d0, d1, d11; "storm cloud" only d5 and d6 once d7 is excluded
      int bm25 = q.equals("1") ? 3 : 2;
      assertEquals(bm25 + 2, l.size(), q + ": BM25 candidates and 2 drawn at random");
      assertTrue(l.stream().noneMatch(s -> s.docid().equals("d7")));
      assertTrue(d.documents().keySet().containsAll(l.stream().map(s -> s.docid()).toList()));
    }
    // the best BM25 candidate of "storm cloud" is d7 in the full corpus; here it is d6 or d8
    assertFalse(run.get("3").get(0).docid().equals("d7"));
    assertTrue(Files.readString(dir.resolve("pool/pool.json")).contains("\"randomPerQuery\" : 2"));
    // the same seed draws the same passages
    PoolBuilder.build(queries, 0, 1, corpus(), test, Set.of("d7"), 3, 2, Map.of(),
        dir.resolve("again"));
    assertEquals(Files.readString(dir.resolve("pool/run.txt")),
        Files.readString(dir.resolve("again/run.txt")));
  }

  @Test
  void aSampleOfQueriesKeepsInputOrderAndEmptyPoolsAreRefused() {
    Progress.setQuiet(true);
    Map<String, Query> queries = new LinkedHashMap<>();
    for (int i = 0; i < 10; i++) {
      queries.put("q" + i, new Query("q" + i, "wing lift air"));
    }
    PoolBuilder.Result r = PoolBuilder.build(queries, 4, 7, corpus(), List.of(), Set.of(), 2, 0,
        Map.of(), dir.resolve("s"));
    assertEquals(4, r.queries());
    assertEquals(8, r.pairs());
    var e = assertThrows(IllegalArgumentException.class, () -> PoolBuilder.build(queries, 0, 1,
        corpus(), queries.values(), Set.of(), 2, 0, Map.of(), dir.resolve("none")));
    assertTrue(e.getMessage().contains("nothing to pool"), e.getMessage());
  }
}
