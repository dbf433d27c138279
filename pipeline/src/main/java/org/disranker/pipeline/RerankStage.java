package org.disranker.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.TopK;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.io.TrecRuns;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.tokenize.PairTokenizer;
import org.disranker.serve.BiEncoder;
import org.disranker.serve.EmbeddingStore;
import org.disranker.serve.OnnxScorer;

/** The {@code rerank/TEST} stages: the test collection reranked by every model. */
final class RerankStage extends StageContext {
  RerankStage(StageContext c) {
    super(c);
  }

  /**
   * The test collection's first-stage top k reranked: the rows that do not depend on the student
   * (BM25, zero-shot MiniLM, the teachers) once, in {@code rerank/TEST-baselines} (beside {@code
   * rerank/TEST}, not inside it: a rerun replaces that folder whole); the student's fp32 and int8
   * exports (and the fine-tuned baseline) in {@code rerank/TEST}.
   */
  Outputs run(Path testDir, int topK, int maxLength, java.util.Set<String> teacherModels,
      StageRunner.Result fin, StageRunner.Result ft) {
    Map<String, Object> rrCfg = new LinkedHashMap<>();
    rrCfg.put("topK", topK);
    rrCfg.put("maxLength", maxLength);
    List<Path> rrInputs = new ArrayList<>(List.of(testDir, fin.dir()));
    if (ft != null) {
      rrInputs.add(ft.dir());
    }
    // the rows that do not depend on the student are scored once, in their own stage
    Map<String, Object> baseCfg = new LinkedHashMap<>();
    baseCfg.put("topK", topK);
    baseCfg.put("teachers", teacherModels.toString());
    StageRunner.Result base = runner.run("rerank/" + testDir.getFileName() + "-baselines",
        baseCfg, List.of(testDir), dir -> {
          Dataset d = Datasets.open(testDir, null);
          TopK pairs = TopK.of(d.firstStage(), topK, d.queries(), d.documents());
          Map<String, Object> m = new LinkedHashMap<>();
          TrecRuns.write(dir.resolve("bm25.run"), d.firstStage(), "bm25");
          zeroShot(pairs, BiEncoder.Spec.MINILM, dir.resolve("minilm-zero-shot.run"), m);
          for (String t : teacherModels) {
            if (!t.equals("minilm")) {
              zeroShot(pairs, BiEncoder.Spec.named(t), dir.resolve(t + "-zero-shot.run"), m);
            }
          }
          return m;
        });
    StageRunner.Result rr = runner.run("rerank/" + testDir.getFileName(), rrCfg, rrInputs,
        dir -> {
          Dataset d = Datasets.open(testDir, null);
          TopK pairs = TopK.of(d.firstStage(), topK, d.queries(), d.documents());
          Map<String, Object> m = new LinkedHashMap<>();
          rerank(pairs, maxLength, fin.dir(), "model.onnx", dir.resolve("student.run"), m);
          rerank(pairs, maxLength, fin.dir(), "model.int8.onnx", dir.resolve("student-int8.run"),
              m);
          if (ft != null) {
            rerank(pairs, maxLength, ft.dir().resolve("export"), "model.int8.onnx",
                dir.resolve("finetuned.run"), m);
          }
          return m;
        });
    return new Outputs(base.dir(), rr.dir());
  }

  /** Where the baselines' runs and the students' runs are. */
  record Outputs(Path baselines, Path students) {}

  /** Reranks the pairs with an exported student (its ONNX file and tokenizer.json). */
  static void rerank(TopK pairs, int maxLength, Path model, String onnx, Path out,
      Map<String, Object> m) throws IOException {
    long t0 = System.nanoTime();
    float[] scores;
    try (PairTokenizer tok = new PairTokenizer(Files.readAllBytes(model.resolve(
        "tokenizer.json")), maxLength); OnnxScorer s = OnnxScorer.load(model.resolve(onnx), 0)) {
      scores = PairScorer.scoreAll(s, tok, pairs.queries(), pairs.documents(), 48, "rerank");
    }
    write(pairs, scores, out, t0, m);
  }

  /** Reranks the pairs by a zero-shot bi-encoder's cosine (vectors from the run's store). */
  void zeroShot(TopK pairs, BiEncoder.Spec spec, Path out, Map<String, Object> m) {
    long t0 = System.nanoTime();
    float[] scores;
    try (EmbeddingStore store = EmbeddingStore.open(embeddings(), new BiEncoder(spec, 256, 0))) {
      scores = store.score(pairs.queries(), pairs.documents(), spec.name());
    }
    write(pairs, scores, out, t0, m);
  }


  static void write(TopK pairs, float[] scores, Path out, long t0,
      Map<String, Object> m) {
    String name = out.getFileName().toString().replace(".run", "");
    TrecRuns.write(out, pairs.toRun(scores, name), name);
    m.put(name + ".pairsPerSecond", scores.length / ((System.nanoTime() - t0) / 1e9));
  }
}
