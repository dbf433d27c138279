package org.disranker.core.clicks;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.io.InputFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClickSimulatorTest {
  @TempDir Path dir;

  static final Map<String, Query> QUERIES = Map.of("q", new Query("q", "query"),
      "test", new Query("test", "held out"));
  static final Map<String, Document> DOCS = new LinkedHashMap<>();

  static {
    for (int i = 1; i <= 4; i++) {
      DOCS.put("d" + i, new Document("d" + i, "T" + i, "body " + i));
    }
  }

  static Run ranking() {
    List<ScoredDoc> l = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      l.add(new ScoredDoc("d" + i, 10 - i, i));
    }
    return new Run("r", Map.of("q", l, "test", l));
  }

  static Qrels qrels() {
    Qrels.Builder b = Qrels.builder();
    b.add("q", "d1", 0);
    b.add("q", "d2", 3);
    b.add("q", "d3", 3);
    return b.build(); // d4 unjudged: grade 0
  }

  @Test
  void clickRatesFollowExaminationTimesGradeProbability() {
    ClickSimulator sim = new ClickSimulator(1.0, new double[] {0.1, 0.3, 0.6, 0.9}, 10, 20000, 1);
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (ClickRecord r : sim.simulate(QUERIES, DOCS, ranking(), qrels(), Set.of("q"))) {
      counts.put(r.docid(), r.count());
    }
    // expected rate = (1/rank) * p(grade): d1 1*0.1, d2 0.5*0.9, d3 (1/3)*0.9, d4 0.25*0.1
    assertEquals(0.1, counts.get("d1") / 20000.0, 0.01);
    assertEquals(0.45, counts.get("d2") / 20000.0, 0.015);
    assertEquals(0.3, counts.get("d3") / 20000.0, 0.015);
    assertEquals(0.025, counts.get("d4") / 20000.0, 0.006);
  }

  @Test
  void onlyAllowedQueriesAreSimulatedAndTheLogIsSeeded() {
    ClickSimulator sim = ClickSimulator.defaults(5);
    List<ClickRecord> a = sim.simulate(QUERIES, DOCS, ranking(), qrels(), Set.of("q"));
    assertTrue(a.stream().allMatch(r -> r.qid().equals("q")));
    assertEquals(a, sim.simulate(QUERIES, DOCS, ranking(), qrels(), Set.of("q")));
    assertTrue(!a.equals(ClickSimulator.defaults(6).simulate(QUERIES, DOCS, ranking(), qrels(),
        Set.of("q"))));
  }

  @Test
  void logsRoundTripAndBadLinesAreNamed() throws IOException {
    List<ClickRecord> a = ClickSimulator.defaults(5).simulate(QUERIES, DOCS, ranking(), qrels(),
        Set.of("q"));
    Path f = dir.resolve("clicks.jsonl");
    ClickLogs.write(f, a);
    assertEquals(a, ClickLogs.read(f));
    Files.writeString(f, "{\"query\": \"q\", \"summary\": \"s\"}\n{\"query\": \"q\"}\n");
    InputFormatException e = assertThrows(InputFormatException.class, () -> ClickLogs.read(f));
    assertTrue(e.getMessage().contains(":2: missing text field 'summary'"), e.getMessage());
    Files.writeString(f, "{\"query\": \"q\", \"summary\": \"s\", \"count\": 0}\n");
    assertTrue(assertThrows(InputFormatException.class, () -> ClickLogs.read(f)).getMessage()
        .contains(":1: count must be a positive integer"));
  }
}
