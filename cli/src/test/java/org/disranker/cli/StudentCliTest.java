package org.disranker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The student commands end to end with a tiny random BERT on a tiny collection. */
class StudentCliTest {
  @TempDir Path dir;

  @BeforeAll
  static void quiet() {
    Progress.setQuiet(true);
  }

  Path tinyModel() throws IOException {
    byte[] tok = BertCheckpoint.minilmTokenizer();
    Path m = dir.resolve("tiny");
    BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2, 1e-12), 5, tok).save(m);
    return m;
  }

  Path dataset(boolean withRun) throws IOException {
    Path ds = dir.resolve("ds");
    Files.createDirectories(ds);
    Files.writeString(ds.resolve("corpus.jsonl"),
        "{\"id\": \"d1\", \"text\": \"wings make lift by turning air\"}\n"
            + "{\"id\": \"d2\", \"text\": \"the stock market fell today\"}\n"
            + "{\"id\": \"d3\", \"text\": \"lift and drag on a wing\"}\n");
    Files.writeString(ds.resolve("queries.tsv"), "q1\thow do wings make lift\nq2\tmarkets\n");
    Files.writeString(ds.resolve("qrels.txt"), "q1 0 d1 3\nq1 0 d2 0\nq1 0 d3 2\nq2 0 d2 2\n"
        + "q2 0 d1 0\n");
    if (withRun) {
      Files.writeString(ds.resolve("run.txt"), "q1 Q0 d2 1 3 bm25\nq1 Q0 d1 2 2 bm25\n"
          + "q1 Q0 d3 3 1 bm25\nq2 Q0 d2 1 1 bm25\nq2 Q0 d1 2 0.5 bm25\n");
    }
    return ds;
  }

  /** rerank --per-query batches like spark score and teacher score, so the scores are theirs. */
  @Test
  void perQueryRerankingGivesThePoolScorersScoresExactly() throws IOException {
    Path model = tinyModel();
    Path ds = dataset(true);
    Path out = dir.resolve("export");
    assertEquals(0, CliTest.run("student", "export", "--model", model.toString(), "-o",
        out.toString()).code());
    Path run = dir.resolve("per-query.run");
    CliTest.Result r = CliTest.run("rerank", "--dataset", ds.toString(), "--model",
        out.toString(), "--onnx", out.resolve("model.int8.onnx").toString(), "--per-query",
        "--batch", "2", "--threads", "1", "-o", run.toString());
    assertEquals(0, r.code(), r.err());
    Run got = TrecRuns.read(run);
    String[][] texts = {{"d2", "the stock market fell today"}, {"d1", "wings make lift by"
        + " turning air"}, {"d3", "lift and drag on a wing"}};
    java.util.List<org.disranker.serve.PairText> q1 = new java.util.ArrayList<>();
    for (String[] t : texts) {
      q1.add(new org.disranker.serve.PairText("q1", t[0], "how do wings make lift", "", t[1]));
    }
    try (org.disranker.serve.QueryScorer s = org.disranker.serve.ScorerSpec.student(
        out.toString(), "model.int8.onnx", 256, 2, 1).open()) {
      float[] want = s.scoreQuery(q1);
      Map<String, Double> have = new java.util.HashMap<>();
      got.get("q1").forEach(x -> have.put(x.docid(), x.score()));
      for (int i = 0; i < texts.length; i++) {
        assertEquals(want[i], have.get(texts[i][0]).floatValue(), 0f, texts[i][0]);
      }
    }
    CliTest.Result bad = CliTest.run("rerank", "--dataset", ds.toString(), "--per-query", "-o",
        dir.resolve("x.run").toString());
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--per-query"), bad.err());
  }

  @Test
  void exportedOnnxRerankingMatchesDjlReranking() throws IOException {
    Path model = tinyModel();
    Path ds = dataset(true);
    Path out = dir.resolve("export");
    CliTest.Result e = CliTest.run("student", "export", "--model", model.toString(), "-o",
        out.toString());
    assertEquals(0, e.code(), e.err());
    // The tiny model's file is mostly its fp32 embeddings, so sizes say little: look at the ops
    String fp32Graph = new String(Files.readAllBytes(out.resolve("model.onnx")),
        java.nio.charset.StandardCharsets.ISO_8859_1);
    String int8Graph = new String(Files.readAllBytes(out.resolve("model.int8.onnx")),
        java.nio.charset.StandardCharsets.ISO_8859_1);
    String op = "MatMulIntegerToFloat";
    assertTrue(int8Graph.contains(op) && int8Graph.contains(".weight.int8"));
    assertTrue(!fp32Graph.contains(op) && !fp32Graph.contains(".weight.int8"));
    Path djl = dir.resolve("djl.run");
    Path onnx = dir.resolve("onnx.run");
    assertEquals(0, CliTest.run("rerank", "--dataset", ds.toString(), "--model", out.toString(),
        "-o", djl.toString()).code());
    CliTest.Result r = CliTest.run("rerank", "--dataset", ds.toString(), "--model",
        out.toString(), "--onnx", out.resolve("model.onnx").toString(), "-o", onnx.toString());
    assertEquals(0, r.code(), r.err());
    Run a = TrecRuns.read(djl);
    Run b = TrecRuns.read(onnx);
    assertEquals(3, a.get("q1").size());
    for (String q : a.queryIds()) {
      Map<String, Double> sb = new java.util.HashMap<>();
      b.get(q).forEach(x -> sb.put(x.docid(), x.score()));
      for (ScoredDoc x : a.get(q)) {
        assertEquals(x.score(), sb.get(x.docid()), 1e-4);
      }
    }
  }

  @Test
  void sparkScoringInLocalModeGivesTheRerankScores() throws IOException {
    Path ds = dataset(true);
    Path out = dir.resolve("export");
    assertEquals(0, CliTest.run("student", "export", "--model", tinyModel().toString(), "-o",
        out.toString()).code());
    Path onnx = dir.resolve("onnx.run");
    CliTest.Result r = CliTest.run("rerank", "--dataset", ds.toString(), "--model",
        out.toString(), "--onnx", out.resolve("model.onnx").toString(), "-o", onnx.toString());
    assertEquals(0, r.code(), r.err());
    Path pool = dir.resolve("pool.jsonl");
    CliTest.Result p = CliTest.run("data", "pairs", "--dataset", ds.toString(), "-k", "2", "-o",
        pool.toString());
    assertEquals(0, p.code(), p.err());
    assertEquals(4, Files.readAllLines(pool).size());
    Path scores = dir.resolve("scores.jsonl");
    CliTest.Result s = CliTest.run("spark", "score", "--master", "local[2]", "--input",
        pool.toString(), "--output", scores.toString(), "--model", out.toString(), "--onnx",
        "model.onnx", "--batch", "2");
    assertEquals(0, s.code(), s.err());
    assertTrue(s.err().contains("scored 4 pairs of 2 queries"), s.err());
    Map<String, Double> expected = new java.util.HashMap<>();
    Run run = TrecRuns.read(onnx);
    run.queryIds().forEach(q -> run.get(q).forEach(x -> expected.put(q + " " + x.docid(),
        x.score())));
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    int n = 0;
    try (var parts = Files.list(scores)) {
      for (Path part : parts.filter(f -> f.getFileName().toString().startsWith("part-"))
          .toList()) {
        for (String line : Files.readAllLines(part)) {
          var o = json.readTree(line);
          assertEquals(expected.get(o.get("qid").asText() + " " + o.get("docid").asText()),
              o.get("score").asDouble(), 1e-5, line);
          n++;
        }
      }
    }
    assertEquals(4, n);
    CliTest.Result again = CliTest.run("spark", "score", "--master", "local[2]", "--input",
        pool.toString(), "--output", scores.toString(), "--model", out.toString());
    assertEquals(2, again.code());
    assertTrue(again.err().contains("already exists"), again.err());
    CliTest.Result noModel = CliTest.run("spark", "score", "--master", "local[1]", "--input",
        pool.toString(), "--output", dir.resolve("s2.jsonl").toString(), "--model",
        dir.resolve("nowhere").toString());
    assertEquals(2, noModel.code());
    assertTrue(noModel.err().contains("does not exist"), noModel.err());
  }

  @Test
  void rerankNeedsAFirstStage() throws IOException {
    Path model = tinyModel();
    CliTest.Result r = CliTest.run("rerank", "--dataset", dataset(false).toString(), "--model",
        model.toString(), "-o", dir.resolve("x.run").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("has no first-stage run"), r.err());
  }

  @Test
  void finetuneWritesAModelThatRerankAndZeroShotCanUse() throws IOException {
    Path model = tinyModel();
    Path ds = dataset(true);
    Path out = dir.resolve("ft");
    CliTest.Result f = CliTest.run("student", "finetune", "--dataset", ds.toString(), "--init",
        model.toString(), "--out", out.toString(), "--steps", "4", "--batch", "2", "--lr", "1e-3",
        "--max-length", "32");
    assertEquals(0, f.code(), f.err());
    assertTrue(Files.isRegularFile(out.resolve("model/model.safetensors")));
    assertEquals(5, Files.readAllLines(out.resolve("loss.tsv")).size());
    CliTest.Result z = CliTest.run("rerank", "--dataset", ds.toString(), "--model",
        out.resolve("model").toString(), "--zero-shot", "-o", dir.resolve("z.run").toString());
    assertEquals(0, z.code(), z.err());
    // cosine scores lie in [-1, 1]
    for (ScoredDoc x : TrecRuns.read(dir.resolve("z.run")).get("q1")) {
      assertTrue(Math.abs(x.score()) <= 1.0001, "cosine " + x.score());
    }
  }
}
