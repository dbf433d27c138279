package org.disranker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistillationTest {
  @TempDir Path dir;

  @Test
  void lossesMatchTheFormulasByHand() {
    try (NDManager m = NDManager.newBaseManager()) {
      var s = m.create(new float[] {1, 0, 2, 1});
      var t = m.create(new float[] {0.5f, 0, 1, 1});
      // point: mean(0.25, 1) + mean(0, 0); margin: s diffs (1, 1), t diffs (0.5, 0)
      assertEquals(0.625f, Losses.distill(s, t, "point", 0.4).getFloat(), 1e-6f);
      assertEquals(0.625f, Losses.distill(s, t, "margin", 0.4).getFloat(), 1e-6f);
      assertEquals(0.875f, Losses.distill(s, t, "hybrid", 0.4).getFloat(), 1e-6f);
      assertThrows(IllegalArgumentException.class, () -> Losses.distill(s, t, "kl", 0.4));
    }
  }

  Path run(String text) throws IOException {
    Path p = dir.resolve("teacher.run");
    Files.writeString(p, text);
    return p;
  }

  @Test
  void ranksBecomeScoresAndTripletsFollowTheSampling() throws IOException {
    // the score column is ignored: the rank column is the teacher's order
    Path p = run("q Q0 a 1 0.1 llm\nq Q0 b 2 0.9 llm\nq Q0 c 3 0.5 llm\nq Q0 d 4 0.7 llm\n");
    TeacherSignal lin = TeacherSignal.fromRun(p, "linear");
    assertEquals(Map.of("a", 1f, "b", 0.75f, "c", 0.5f, "d", 0.25f), lin.scores().get("q"));
    assertEquals(0.5f, TeacherSignal.fromRun(p, "reciprocal").scores().get("q").get("b"));
    assertEquals(0.9f, TeacherSignal.fromRun(p, "score").scores().get("q").get("b"));
    Set<String> docs = Set.of("a", "b", "c", "d");
    assertEquals(6, lin.triplets(Set.of("q"), docs, "all", 0, 0, 100, 1).size());
    assertEquals(3, lin.triplets(Set.of("q"), docs, "top", 1, 0, 100, 1).size()); // a vs b, c, d
    assertEquals(3, lin.triplets(Set.of("q"), docs, "hard", 0, 1, 100, 1).size()); // neighbours
    assertEquals(2, lin.triplets(Set.of("q"), docs, "all", 0, 0, 2, 1).size());
    assertEquals(3, lin.triplets(Set.of("q"), Set.of("a", "b", "c"), "all", 0, 0, 100, 1)
        .size());
    for (TeacherSignal.Triplet t : lin.triplets(Set.of("q"), docs, "all", 0, 0, 100, 1)) {
      assertTrue(t.tPos() > t.tNeg());
    }
    var z = lin.normalized("zscore").scores().get("q");
    assertEquals(0.0, z.values().stream().mapToDouble(Float::doubleValue).sum(), 1e-5);
    assertEquals(1f, lin.normalized("minmax").scores().get("q").get("a"), 1e-6f);
  }

  @Test
  void theStudentLearnsTheTeachersOrder() throws IOException {
    Progress.setQuiet(true);
    BertCheckpoint tiny = BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2,
        1e-12), 4, BertCheckpoint.minilmTokenizer());
    Map<String, Query> queries = Map.of("q", new Query("q", "how do wings make lift"));
    Map<String, Document> docs = new LinkedHashMap<>();
    String[] texts = {"wings make lift", "lift from wings", "a bird flies", "stock markets"};
    StringBuilder runText = new StringBuilder();
    for (int i = 0; i < texts.length; i++) {
      docs.put("d" + i, new Document("d" + i, "", texts[i]));
      runText.append("q Q0 d").append(i).append(' ').append(i + 1).append(" 0 t\n");
    }
    List<TeacherSignal.Triplet> triplets = TeacherSignal.fromRun(run(runText.toString()),
        "linear").triplets(queries.keySet(), docs.keySet(), "all", 0, 0, 100, 3);
    DistillConfig c = new DistillConfig("hybrid", 0.4, 40, 3, 3e-3, 0.1, 0.0, 1.0, 32, "all", 0,
        0, 100, "none", 3, 0);
    TrainLoop.Result r = new Distiller(c, Device.cpu()).train(tiny, triplets, queries, docs,
        dir.resolve("out"), null, -1);
    List<Double> l = r.losses();
    assertTrue(l.get(39) + l.get(38) < (l.get(0) + l.get(1)) * 0.5, "loss " + l);
  }

  @Test
  void teacherScoresComeAsTsvJsonLinesOrASparkOutputFolder() throws IOException {
    Path tsv = dir.resolve("s.tsv");
    Files.writeString(tsv, "q1\td1\t0.5\nq1\td2\t-1.0\n");
    Path jsonl = dir.resolve("s.jsonl");
    Files.writeString(jsonl, "{\"qid\":\"q1\",\"docid\":\"d1\",\"score\":0.5}\n"
        + "{\"qid\":\"q1\",\"docid\":\"d2\",\"score\":-1.0}\n");
    Path spark = dir.resolve("spark.jsonl");
    Files.createDirectories(spark);
    Files.writeString(spark.resolve("part-00000-x.json"),
        "{\"qid\":\"q1\",\"docid\":\"d1\",\"score\":0.5}\n");
    Files.writeString(spark.resolve("part-00001-x.json"),
        "{\"qid\":\"q1\",\"docid\":\"d2\",\"score\":-1.0}\n");
    Files.writeString(spark.resolve("_SUCCESS"), "");
    Map<String, Map<String, Float>> expected = Map.of("q1", Map.of("d1", 0.5f, "d2", -1.0f));
    for (Path p : List.of(tsv, jsonl, spark)) {
      assertEquals(expected, TeacherSignal.fromScoreFile(p).scores(), p.toString());
    }
    // a pair in two part files is scored twice: the error names the second file and its line
    Files.writeString(spark.resolve("part-00002-x.json"),
        "{\"qid\":\"q1\",\"docid\":\"d1\",\"score\":0.7}\n");
    var e = assertThrows(org.disranker.core.io.InputFormatException.class,
        () -> TeacherSignal.fromScoreFile(spark));
    assertTrue(e.getMessage().contains("part-00002-x.json:1"), e.getMessage());
    assertTrue(e.getMessage().contains("scored twice"), e.getMessage());
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, "{\"qid\":\"q1\",\"docid\":\"d1\"}\n");
    var b = assertThrows(org.disranker.core.io.InputFormatException.class,
        () -> TeacherSignal.fromScoreFile(bad));
    assertTrue(b.getMessage().contains("bad.jsonl:1"), b.getMessage());
    Path parquet = dir.resolve("p.parquet");
    Files.createDirectories(parquet);
    Files.writeString(parquet.resolve("part-00000-x.snappy.parquet"), "PAR1");
    var q = assertThrows(IllegalArgumentException.class,
        () -> TeacherSignal.fromScoreFile(parquet));
    assertTrue(q.getMessage().contains("--output-format jsonl"), q.getMessage());
  }
}
