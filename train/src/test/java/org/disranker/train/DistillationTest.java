package org.disranker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
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
      // triplets (pos, neg): student (3, 0) and (2, 1), teacher (1, 0) and (0.5, 0)
      var s = m.create(new float[] {3, 0, 2, 1});
      var t = m.create(new float[] {1, 0, 0.5f, 0});
      // point: mean((3-1)², (2-0.5)²) + mean(0², 1²) = 3.125 + 0.5
      assertEquals(3.625f, Losses.distill(s, t, "point", 0.4).getFloat(), 1e-6f);
      // margin: mean((3 - 1)², (1 - 0.5)²) = 2.125
      assertEquals(2.125f, Losses.distill(s, t, "margin", 0.4).getFloat(), 1e-6f);
      assertEquals(3.625f + 0.4f * 2.125f, Losses.distill(s, t, "hybrid", 0.4).getFloat(),
          1e-5f);
      assertThrows(IllegalArgumentException.class, () -> Losses.distill(s, t, "kl", 0.4));
      // groups of two are the same triplets, whichever of the two the teacher prefers first
      float[] tg = {1, 0, 0, 0.5f};
      var sg = m.create(new float[] {3, 0, 1, 2});
      for (String mode : List.of("point", "margin", "hybrid")) {
        assertEquals(Losses.distill(s, t, mode, 0.4).getFloat(),
            Losses.distillGroups(sg, tg, 2, mode, 0.4).getFloat(), 1e-5f, mode);
      }
    }
  }

  @Test
  void groupLossesAverageEveryTripletTheTeacherOrders() {
    try (NDManager m = NDManager.newBaseManager()) {
      // one group of three; teacher 2 > 1 = 1: triplets (0,1) and (0,2); the tie makes none
      float[] t = {2, 1, 1};
      var s = m.create(new float[] {0.5f, 1, -1});
      // point: ((0.5-2)² + (1-1)²  +  (0.5-2)² + (-1-1)²) / 2 = (2.25 + 2.25 + 4) / 2
      assertEquals(4.25f, Losses.distillGroups(s, t, 3, "point", 0.4).getFloat(), 1e-5f);
      // margin: ((0.5-1) - 1)² = 2.25 and ((0.5+1) - 1)² = 0.25, mean 1.25
      assertEquals(1.25f, Losses.distillGroups(s, t, 3, "margin", 0.4).getFloat(), 1e-5f);
      assertEquals(4.25f + 0.5f * 1.25f, Losses.distillGroups(s, t, 3, "hybrid", 0.5)
          .getFloat(), 1e-5f);
      // listwise: cross-entropy of softmax(t) against log softmax(s)
      double[] pt = softmax(new double[] {2, 1, 1});
      double[] ls = logSoftmax(new double[] {0.5, 1, -1});
      double ce = -(pt[0] * ls[0] + pt[1] * ls[1] + pt[2] * ls[2]);
      assertEquals(ce, Losses.distillGroups(s, t, 3, "listwise", 0).getFloat(), 1e-5);
      // a temperature of 0.5 is the teacher's scores doubled
      double[] sharp = softmax(new double[] {4, 2, 2});
      double ce2 = -(sharp[0] * ls[0] + sharp[1] * ls[1] + sharp[2] * ls[2]);
      assertEquals(ce2, Losses.distillGroups(s, t, 3, "listwise", 0, 0.5).getFloat(), 1e-5);
      // a group the teacher cannot order gives zero loss (and a gradient of zero)
      assertEquals(0f, Losses.distillGroups(m.create(new float[] {1, 2}), new float[] {1, 1}, 2,
          "hybrid", 0.4).getFloat());
    }
  }

  static double[] softmax(double[] x) {
    double[] l = logSoftmax(x);
    for (int i = 0; i < l.length; i++) {
      l[i] = Math.exp(l[i]);
    }
    return l;
  }

  static double[] logSoftmax(double[] x) {
    double z = 0;
    for (double v : x) {
      z += Math.exp(v);
    }
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] - Math.log(z);
    }
    return out;
  }

  /** The autograd gradient of every loss against central finite differences. */
  @Test
  void gradientsMatchFiniteDifferences() {
    float[] t = {1.2f, -0.3f, 0.4f, 0.4f, 2f, -1f, 0f, 0.5f};
    float[] s0 = {0.3f, 0.1f, -0.5f, 0.9f, 1.1f, -0.2f, 0.05f, 0.7f};
    for (String mode : Losses.DISTILL_LOSSES) {
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray s = m.create(s0);
        s.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(Losses.distillGroups(s, t, 4, mode, 0.4));
        }
        float[] grad = s.getGradient().toFloatArray();
        double h = 1e-2;
        for (int i = 0; i < s0.length; i++) {
          float[] up = s0.clone();
          float[] down = s0.clone();
          up[i] += (float) h;
          down[i] -= (float) h;
          double fd = (Losses.distillGroups(m.create(up), t, 4, mode, 0.4).getFloat()
              - Losses.distillGroups(m.create(down), t, 4, mode, 0.4).getFloat()) / (2 * h);
          assertEquals(fd, grad[i], 1e-3, mode + " d/ds" + i);
        }
      }
    }
  }

  Path run(String text) throws IOException {
    Path p = dir.resolve("teacher.run");
    Files.writeString(p, text);
    return p;
  }

  @Test
  void ranksBecomeScoresAndGroupsKeepScoredDocumentsWithText() throws IOException {
    // the score column is ignored: the rank column is the teacher's order
    Path p = run("q Q0 a 1 0.1 llm\nq Q0 b 2 0.9 llm\nq Q0 c 3 0.5 llm\nq Q0 d 4 0.7 llm\n"
        + "r Q0 a 1 0.1 llm\n");
    TeacherSignal lin = TeacherSignal.fromRun(p, "linear");
    assertEquals(Map.of("a", 1f, "b", 0.75f, "c", 0.5f, "d", 0.25f), lin.scores().get("q"));
    assertEquals(0.5f, TeacherSignal.fromRun(p, "reciprocal").scores().get("q").get("b"));
    assertEquals(0.9f, TeacherSignal.fromRun(p, "score").scores().get("q").get("b"));
    List<TeacherSignal.Group> g = lin.groups(Set.of("q", "r"), Set.of("a", "b", "d"), 2);
    assertEquals(1, g.size()); // r has one scored document, fewer than 2
    assertEquals(List.of("a", "b", "d"), g.get(0).docids());
    assertArrayEquals(new float[] {1f, 0.75f, 0.25f}, g.get(0).scores());
    assertThrows(IllegalArgumentException.class, () -> lin.groups(Set.of("q"), Set.of("a"), 2));
    var z = lin.normalized("zscore").scores().get("q");
    assertEquals(0.0, z.values().stream().mapToDouble(Float::doubleValue).sum(), 1e-5);
    assertEquals(1f, lin.normalized("minmax").scores().get("q").get("a"), 1e-6f);
  }

  @Test
  void anEnsembleIsTheWeightedMeanWithAPolicyForMissingPairs() throws IOException {
    Path a = dir.resolve("a.tsv");
    Files.writeString(a, "q\td1\t1\nq\td2\t0\nq\td3\t-1\nr\td1\t5\n");
    Path b = dir.resolve("b.tsv");
    Files.writeString(b, "q\td1\t0\nq\td2\t2\n"); // b did not score d3, nor query r
    TeacherSignal ta = TeacherSignal.fromScoreFile(a);
    TeacherSignal tb = TeacherSignal.fromScoreFile(b);
    var min = TeacherSignal.ensemble(List.of(ta, tb), new double[] {1, 3},
        TeacherSignal.Missing.MIN).scores();
    assertEquals((1 * 1 + 3 * 0) / 4f, min.get("q").get("d1"), 1e-6f);
    assertEquals((1 * 0 + 3 * 2) / 4f, min.get("q").get("d2"), 1e-6f);
    assertEquals((1 * -1 + 3 * 0) / 4f, min.get("q").get("d3"), 1e-6f); // b's lowest for q is 0
    assertEquals(5f, min.get("r").get("d1"), 1e-6f); // b has no say on r
    var skip = TeacherSignal.ensemble(List.of(ta, tb), new double[] {1, 3},
        TeacherSignal.Missing.SKIP).scores();
    assertEquals(-1f, skip.get("q").get("d3"), 1e-6f);
    assertEquals(min.get("q").get("d2"), skip.get("q").get("d2"));
    // kept to a candidate list: other pairs and queries go, the kept scores stay as they were
    var kept = TeacherSignal.ensemble(List.of(ta, tb), new double[] {1, 3},
        TeacherSignal.Missing.MIN).onlyPairs(Map.of("q", List.of("d3", "d1", "x"),
        "s", List.of("d1"))).scores();
    assertEquals(Set.of("q"), kept.keySet());
    assertEquals(List.of("d1", "d3"), List.copyOf(kept.get("q").keySet()));
    assertEquals(min.get("q").get("d3"), kept.get("q").get("d3"));
  }

  @Test
  void batchesDependOnSeedAndStepAloneAndVisitEveryQueryOncePerEpoch() {
    List<TeacherSignal.Group> groups = new java.util.ArrayList<>();
    for (int q = 0; q < 5; q++) {
      groups.add(new TeacherSignal.Group("q" + q, List.of("a", "b", "c", "d"),
          new float[] {4, 3, 2, 1}));
    }
    Set<String> seen = new java.util.HashSet<>();
    for (long step = 0; step < 5; step++) {
      var b = Distiller.batch(groups, 7, step, 1, 3);
      var again = Distiller.batch(groups, 7, step, 1, 3);
      assertEquals(b.get(0).qid(), again.get(0).qid());
      assertEquals(b.get(0).docids(), again.get(0).docids());
      assertArrayEquals(b.get(0).teacher(), again.get(0).teacher());
      seen.add(b.get(0).qid());
      assertEquals(3, b.get(0).docids().size());
      assertEquals(3, new java.util.HashSet<>(b.get(0).docids()).size());
      // the teacher's scores travel with their documents
      for (int j = 0; j < 3; j++) {
        assertEquals(4 - "abcd".indexOf(b.get(0).docids().get(j)), b.get(0).teacher()[j]);
      }
    }
    assertEquals(5, seen.size());
  }

  /** Share of the pairs a teacher orders that the student orders the same way. */
  static double agreement(float[] teacher, float[] student) {
    int agree = 0;
    int pairs = 0;
    for (int i = 0; i < teacher.length; i++) {
      for (int j = 0; j < teacher.length; j++) {
        if (teacher[i] > teacher[j]) {
          pairs++;
          agree += student[i] > student[j] ? 1 : 0;
        }
      }
    }
    return (double) agree / pairs;
  }

  @Test
  void theStudentLearnsTheTeachersOrder() {
    Progress.setQuiet(true);
    BertCheckpoint tiny = BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2,
        1e-12), 4, BertCheckpoint.minilmTokenizer());
    Map<String, Query> queries = Map.of("q", new Query("q", "how do wings make lift"),
        "r", new Query("r", "why did the stock market fall"));
    Map<String, Document> docs = new LinkedHashMap<>();
    String[] texts = {"wings make lift", "lift from wings", "a bird flies", "stock markets",
        "shares fell sharply", "the harvest was good"};
    for (int i = 0; i < texts.length; i++) {
      docs.put("d" + i, new Document("d" + i, "", texts[i]));
    }
    List<String> ids = List.copyOf(docs.keySet());
    // the two queries order the same documents in opposite directions: no document-only order
    // can satisfy both
    float[] tq = {2, 1.5f, 0.5f, -1, -1.5f, -2};
    float[] tr = {-2, -1.5f, -1, 1.5f, 2, 0};
    List<TeacherSignal.Group> groups = List.of(new TeacherSignal.Group("q", ids, tq),
        new TeacherSignal.Group("r", ids, tr));
    DistillConfig c = new DistillConfig("hybrid", 0.4, 1, 60, 2, 6, 3e-3, 1e-2, 0.1, 0.0, 1.0, 32,
        0, "none", "none", 3, 0);
    TrainLoop.Result r = new Distiller(c, Device.cpu()).train(tiny, groups, queries, docs,
        dir.resolve("out"), null, -1);
    BertCheckpoint trained = BertCheckpoint.load(r.model());
    try (var model = org.disranker.model.bert.BertModel.create(trained, Device.cpu());
        var tok = new org.disranker.model.tokenize.PairTokenizer(trained.tokenizerJson(), 32)) {
      var scorer = new org.disranker.model.bert.DjlScorer(model);
      for (TeacherSignal.Group g : groups) {
        List<String> qs = java.util.Collections.nCopies(ids.size(), queries.get(g.qid()).text());
        List<String> ds = ids.stream().map(d -> docs.get(d).text()).toList();
        float[] st = org.disranker.model.bert.PairScorer.scoreAll(scorer, tok, qs, ds, 8, "s");
        assertTrue(agreement(g.scores(), st) >= 0.9, g.qid() + ": " + java.util.Arrays
            .toString(st));
      }
    }
  }

  /** A phase that continues another does not validate its step 0: it is the last point before. */
  @Test
  void aRunWithoutStartValidatesOnlyAfterItsSteps() {
    Progress.setQuiet(true);
    BertCheckpoint tiny = BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2,
        1e-12), 4, BertCheckpoint.minilmTokenizer());
    Map<String, Query> queries = Map.of("q", new Query("q", "how do wings make lift"));
    Map<String, Document> docs = new LinkedHashMap<>();
    docs.put("a", new Document("a", "", "wings make lift"));
    docs.put("b", new Document("b", "", "stock markets fell"));
    List<TeacherSignal.Group> groups = List.of(new TeacherSignal.Group("q", List.of("a", "b"),
        new float[] {1, -1}));
    org.disranker.core.data.Run first = new org.disranker.core.data.Run("bm25", Map.of("q",
        List.of(new org.disranker.core.data.ScoredDoc("a", 2, 1),
            new org.disranker.core.data.ScoredDoc("b", 1, 2))));
    org.disranker.core.data.Qrels.Builder qrels = org.disranker.core.data.Qrels.builder();
    qrels.add("q", "a", 1);
    qrels.add("q", "b", 0);
    Validation v = new Validation("tiny", org.disranker.core.data.TopK.of(first, 2, queries,
        docs), qrels.build(), 2, 32);
    DistillConfig c = new DistillConfig("listwise", 0.4, 1, 4, 1, 2, 1e-3, 1e-2, 0.1, 0.0, 1.0,
        32, 0, "none", "zscore", 3, 0);
    List<Double> withStart = new Distiller(c, Device.cpu()).train(tiny, groups, queries, docs, v,
        dir.resolve("a"), null, -1).validation().stream().map(m -> m.get("step")).toList();
    List<Double> without = new Distiller(c, Device.cpu()).train(tiny, groups, queries, docs,
        v.withoutStart(), dir.resolve("b"), null, -1).validation().stream()
        .map(m -> m.get("step")).toList();
    assertEquals(List.of(0.0, 2.0, 4.0), withStart);
    assertEquals(List.of(2.0, 4.0), without);
  }

  /**
   * The regression test of the recipe on real data: MiniLM distilled for a few steps (listwise,
   * the pipeline's loss) from a recorded teacher (SPLADE++'s own scores) on some DL19 queries
   * ranks other DL19 queries better than before (held-out PNR against the labels). It fails when
   * the head cannot learn (a zero head, a too-low head learning rate) or the encoder is wrecked
   * (a too-high learning rate).
   */
  @Test
  void distillingARealTeacherRaisesHeldOutPnr() throws IOException {
    Path dl19 = org.disranker.core.dataset.Datasets.dataRoot().resolve("trec-dl/dl19");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(dl19), "no shared data");
    Progress.setQuiet(true);
    var d = org.disranker.core.dataset.Datasets.open(dl19, null);
    List<String> qids = List.copyOf(d.queries().keySet());
    Set<String> train = Set.copyOf(qids.subList(0, 28));
    Set<String> heldOut = Set.copyOf(qids.subList(28, qids.size()));
    TeacherSignal splade = TeacherSignal.fromRun(dl19.resolve(
        "retriever-runs/SPLADE_P_P_ENSEMBLE_DISTIL.txt"), "score").normalized("zscore");
    List<TeacherSignal.Group> groups = splade.groups(train, d.documents().keySet(), 8);
    DistillConfig c = new DistillConfig("listwise", 0.4, 1, 60, 2, 8, 1e-4, 2e-3, 0.1, 0.01, 1.0,
        64, 0, "none", "zscore", 42, 0);
    // held out: up to 4 judged documents of each grade for each of the other queries
    Map<String, Map<String, Integer>> judged = new LinkedHashMap<>();
    for (String q : heldOut) {
      Map<String, Integer> j = new LinkedHashMap<>();
      int[] perGrade = new int[4];
      d.qrels().judgments(q).forEach((doc, g) -> {
        if (d.documents().containsKey(doc) && perGrade[g]++ < 4) {
          j.put(doc, g);
        }
      });
      judged.put(q, j);
    }
    BertCheckpoint init = BertCheckpoint.minilm();
    double before = heldOutPnr(init, d, judged);
    TrainLoop.Result r = new Distiller(c, Device.cpu()).train(init, groups, d.queries(),
        d.documents(), dir.resolve("real"), null, -1);
    double after = heldOutPnr(BertCheckpoint.load(r.model()), d, judged);
    System.out.println("held-out PNR " + before + " -> " + after);
    assertTrue(after > before + 0.1, "held-out PNR " + before + " -> " + after);
  }

  static double heldOutPnr(BertCheckpoint ckpt, org.disranker.core.dataset.Dataset d,
      Map<String, Map<String, Integer>> judged) {
    List<String> qs = new java.util.ArrayList<>();
    List<String> ds = new java.util.ArrayList<>();
    List<Integer> labels = new java.util.ArrayList<>();
    List<String> owner = new java.util.ArrayList<>();
    judged.forEach((q, j) -> j.forEach((doc, g) -> {
      qs.add(d.queries().get(q).text());
      ds.add(d.documents().get(doc).text());
      labels.add(g);
      owner.add(q);
    }));
    float[] s;
    try (var model = org.disranker.model.bert.BertModel.create(ckpt, Device.cpu());
        var tok = new org.disranker.model.tokenize.PairTokenizer(ckpt.tokenizerJson(), 64)) {
      s = org.disranker.model.bert.PairScorer.scoreAll(new org.disranker.model.bert.DjlScorer(
          model), tok, qs, ds, 32, "s");
    }
    long good = 0;
    long bad = 0;
    for (int i = 0; i < s.length; i++) {
      for (int j = 0; j < s.length; j++) {
        if (owner.get(i).equals(owner.get(j)) && labels.get(i) > labels.get(j)) {
          good += s[i] > s[j] ? 1 : 0;
          bad += s[i] < s[j] ? 1 : 0;
        }
      }
    }
    return (double) good / Math.max(1, bad);
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
