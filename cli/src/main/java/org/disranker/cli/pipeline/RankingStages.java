package org.disranker.cli.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Run;
import org.disranker.core.data.TopK;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.JsonFiles;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.metrics.Comparison;
import org.disranker.core.metrics.Evaluation;
import org.disranker.core.metrics.Evaluator;
import org.disranker.core.metrics.Metrics;
import org.disranker.core.metrics.Ndcg;
import org.disranker.model.Devices;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.bert.MeanPoolScorer;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.onnx.BertOnnxExporter;
import org.disranker.model.tokenize.PairTokenizer;
import org.disranker.serve.OnnxScorer;
import org.disranker.train.DistillConfig;
import org.disranker.train.Distiller;
import org.disranker.train.FineTuneConfig;
import org.disranker.train.FineTuner;
import org.disranker.train.TeacherSignal;
import org.disranker.train.TrainingPairs;

/**
 * The ranking stages of the pipeline, from one JSON config: fine-tune the student on the train
 * collection's labels; distil a teacher's rankings of the train collection into the student;
 * export both to ONNX; rerank the test collection's first-stage top k with each (and with
 * zero-shot MiniLM); evaluate everything, with the test collection's LLM reranking as an
 * evaluation row. Each stage is a {@link StageRunner} stage.
 */
public final class RankingStages {
  static final String METRICS = "ndcg@10,ndcg@5,pnr,judged@10";

  private final StageRunner runner;
  private final Path data;
  private final JsonNode cfg;
  private final Path configFile;

  public RankingStages(StageRunner runner, Path data, Path configFile) {
    this.runner = runner;
    this.data = data;
    this.configFile = configFile;
    this.cfg = JsonFiles.read(configFile);
  }

  private Path dataPath(String key) {
    JsonNode v = cfg.get(key);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(configFile + ": missing '" + key + "'");
    }
    return data.resolve(v.asText()).normalize();
  }

  private static Map<String, Object> asMap(JsonNode n) {
    Map<String, Object> m = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().toString()));
    return m;
  }

  /** Runs the stages; returns the report section. */
  public String run() {
    Path trainDir = dataPath("train");
    Path testDir = dataPath("test");
    JsonNode st = cfg.path("student");
    JsonNode ds = cfg.path("distill");
    long seed = cfg.path("seed").asLong(42);
    int topK = cfg.path("topK").asInt(100);
    Path teacherRun = data.resolve(ds.path("teacherRun").asText()).normalize();

    Map<String, Object> stCfg = asMap(st);
    stCfg.put("seed", seed);
    StageRunner.Result ft = runner.run("student/finetune", stCfg, List.of(trainDir), dir -> {
      Dataset d = Datasets.open(trainDir, null);
      FineTuneConfig c = new FineTuneConfig("margin", 0.1, st.path("steps").asInt(200),
          st.path("batch").asInt(8), st.path("learningRate").asDouble(3e-5), 0.1, 0.01, 1.0,
          st.path("maxLength").asInt(256), 200, 3, seed, 0);
      var r = new FineTuner(c, Devices.best()).train(load(st.path("init").asText("minilm")),
          TrainingPairs.fromQrels(d.qrels(), d.documents().keySet(), 200, seed), d.queries(),
          d.documents(), dir, null, -1);
      export(r.model(), dir.resolve("export"));
      return Map.of("steps", r.steps(), "tokensPerSecond", r.tokensPerSecond());
    });

    Map<String, Object> dsCfg = asMap(ds);
    dsCfg.put("seed", seed);
    StageRunner.Result dist = runner.run("student/distill", dsCfg, List.of(trainDir,
        teacherRun), dir -> {
          Dataset d = Datasets.open(trainDir, null);
          DistillConfig c = new DistillConfig(ds.path("loss").asText("hybrid"),
              ds.path("beta").asDouble(0.4), ds.path("steps").asInt(200),
              ds.path("batch").asInt(8), ds.path("learningRate").asDouble(3e-5), 0.1, 0.01, 1.0,
              st.path("maxLength").asInt(256), "all", 10, 5, 200, "none", seed, 0);
          var triplets = TeacherSignal.fromRun(teacherRun, ds.path("rankMap").asText("linear"))
              .triplets(d.queries().keySet(), d.documents().keySet(), "all", 10, 5, 200, seed);
          var r = new Distiller(c, Devices.best()).train(load(st.path("init").asText("minilm")),
              triplets, d.queries(), d.documents(), dir, null, -1);
          export(r.model(), dir.resolve("export"));
          return Map.of("steps", r.steps(), "triplets", triplets.size());
        });

    Map<String, Object> rrCfg = new LinkedHashMap<>();
    rrCfg.put("topK", topK);
    rrCfg.put("maxLength", st.path("maxLength").asInt(256));
    StageRunner.Result rr = runner.run("rerank/" + testDir.getFileName(), rrCfg,
        List.of(testDir, ft.dir(), dist.dir()), dir -> {
          Dataset d = Datasets.open(testDir, null);
          Map<String, Object> m = new LinkedHashMap<>();
          TrecRuns.write(dir.resolve("bm25.run"), d.firstStage(), "bm25");
          rerank(d, topK, ft.dir().resolve("export"), "model.onnx", dir.resolve("finetuned.run"),
              m);
          rerank(d, topK, dist.dir().resolve("export"), "model.onnx",
              dir.resolve("distilled.run"), m);
          rerank(d, topK, dist.dir().resolve("export"), "model.int8.onnx",
              dir.resolve("distilled-int8.run"), m);
          rerank(d, topK, null, null, dir.resolve("minilm-zero-shot.run"), m);
          return m;
        });

    Dataset test = Datasets.open(testDir, null);
    Evaluator ev = new Evaluator(Metrics.parse(METRICS, Ndcg.Gain.LINEAR, 1), Run.Order.SCORE,
        false);
    Map<String, Evaluation> evals = new LinkedHashMap<>();
    for (String name : List.of("bm25", "minilm-zero-shot", "finetuned", "distilled",
        "distilled-int8")) {
      evals.put(name, ev.evaluate(test.qrels(), TrecRuns.read(rr.dir().resolve(name + ".run"))));
    }
    JsonNode llm = cfg.get("testLlmRun");
    if (llm != null) {
      evals.put("LLM reranker (evaluation row)", new Evaluator(Metrics.parse(METRICS,
          Ndcg.Gain.LINEAR, 1), Run.Order.RANK, false).evaluate(test.qrels(),
          TrecRuns.read(data.resolve(llm.asText()))));
    }
    return report(evals, testDir.getFileName().toString());
  }

  static BertCheckpoint load(String spec) {
    return spec.equals("minilm") ? BertCheckpoint.minilm() : BertCheckpoint.load(Path.of(spec));
  }

  static void export(Path model, Path out) {
    BertCheckpoint c = BertCheckpoint.load(model);
    c.save(out);
    for (boolean int8 : new boolean[] {false, true}) {
      byte[] onnx = BertOnnxExporter.export(c, int8);
      AtomicFiles.writeBytes(out.resolve(int8 ? "model.int8.onnx" : "model.onnx"),
          os -> os.write(onnx));
    }
  }

  /** Reranks the top k with an exported model (or zero-shot MiniLM when model is null). */
  static void rerank(Dataset d, int k, Path model, String onnx, Path out, Map<String, Object> m) {
    TopK pairs = TopK.of(d.firstStage(), k, d.queries(), d.documents());
    List<String> qs = pairs.queries();
    List<String> ds = pairs.documents();
    long t0 = System.nanoTime();
    float[] scores;
    BertCheckpoint ckpt = model == null ? BertCheckpoint.minilm() : BertCheckpoint.load(model);
    try (PairTokenizer tok = new PairTokenizer(ckpt.tokenizerJson(), 256)) {
      if (model == null) {
        try (BertModel bm = BertModel.create(ckpt, Devices.best())) {
          scores = new MeanPoolScorer(bm, tok).score(qs, ds, 48);
        }
      } else {
        try (OnnxScorer s = OnnxScorer.load(model.resolve(onnx), 0)) {
          scores = PairScorer.scoreAll(s, tok, qs, ds, 48, "rerank");
        }
      }
    }
    String name = out.getFileName().toString().replace(".run", "");
    TrecRuns.write(out, pairs.toRun(scores, name), name);
    m.put(name + ".pairsPerSecond", scores.length / ((System.nanoTime() - t0) / 1e9));
  }

  static String report(Map<String, Evaluation> evals, String test) {
    List<String> metrics = List.of(METRICS.split(","));
    StringBuilder sb = new StringBuilder("| " + test + " ranker | queries |");
    metrics.forEach(x -> sb.append(' ').append(x).append(" |"));
    sb.append("\n|---|---:|");
    metrics.forEach(x -> sb.append("---:|"));
    sb.append('\n');
    evals.forEach((name, e) -> {
      sb.append("| ").append(name).append(" | ").append(e.queryIds().size()).append(" |");
      for (String x : metrics) {
        sb.append(' ').append(fmt(e.value(x))).append(" |");
      }
      sb.append('\n');
    });
    Evaluation base = evals.get("finetuned");
    sb.append("\nAgainst the label-fine-tuned student (ΔGSB on nDCG@10, paired tests):\n\n"
        + "| ranker | nDCG@10 delta | G/S/B | ΔGSB | p (t-test) | p (randomization) |\n"
        + "|---|---:|---:|---:|---:|---:|\n");
    evals.forEach((name, e) -> {
      if (e == base) {
        return;
      }
      Comparison c = Comparison.of(e, base, "ndcg@10", 10000, 42);
      sb.append("| ").append(name).append(" | ").append(String.format(java.util.Locale.ROOT,
          "%+.4f", c.delta())).append(" | ").append(c.good()).append('/').append(c.same())
          .append('/').append(c.bad()).append(" | ").append(String.format(java.util.Locale.ROOT,
          "%+.4f", c.deltaGsb())).append(" | ").append(p(c.tTestP())).append(" | ")
          .append(p(c.randomizationP())).append(" |\n");
    });
    return sb.toString();
  }

  static String fmt(double v) {
    return Double.isFinite(v) ? String.format(java.util.Locale.ROOT, "%.4f", v)
        : Double.isNaN(v) ? "n/a" : "inf";
  }

  static String p(double v) {
    return Double.isNaN(v) ? "n/a" : v < 1e-4 ? "<0.0001" : String.format(java.util.Locale.ROOT,
        "%.4f", v);
  }
}
