package org.disranker.cli.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
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

    StageRunner.Result dist = distill("student/distill", ds, st, seed, trainDir, teacherRun,
        () -> TeacherSignal.fromRun(teacherRun, ds.path("rankMap").asText("linear")));

    JsonNode tc = cfg.get("teacher");
    TeacherStages.Outputs teacher = tc == null ? null
        : new TeacherStages(runner, tc, seed).run(trainDir, testDir, topK);
    JsonNode dt = cfg.path("distillTeacher");
    StageRunner.Result distTeacher = teacher == null ? null : distill("student/distill-teacher",
        dt, st, seed, trainDir, teacher.scores(), () -> TeacherSignal.fromScoreFile(
            teacher.scores().resolve("train.tsv")).normalized(dt.path("normalize")
            .asText("zscore")));

    int maxLength = st.path("maxLength").asInt(256);
    Map<String, Object> rrCfg = new LinkedHashMap<>();
    rrCfg.put("topK", topK);
    rrCfg.put("maxLength", maxLength);
    List<Path> rrInputs = new java.util.ArrayList<>(List.of(testDir, ft.dir(), dist.dir()));
    if (distTeacher != null) {
      rrInputs.add(distTeacher.dir());
    }
    StageRunner.Result rr = runner.run("rerank/" + testDir.getFileName(), rrCfg, rrInputs,
        dir -> {
          Dataset d = Datasets.open(testDir, null);
          TopK pairs = TopK.of(d.firstStage(), topK, d.queries(), d.documents());
          Map<String, Object> m = new LinkedHashMap<>();
          TrecRuns.write(dir.resolve("bm25.run"), d.firstStage(), "bm25");
          rerank(pairs, maxLength, ft.dir().resolve("export"), "model.int8.onnx",
              dir.resolve("finetuned.run"), m);
          rerank(pairs, maxLength, dist.dir().resolve("export"), "model.onnx",
              dir.resolve("distilled.run"), m);
          rerank(pairs, maxLength, dist.dir().resolve("export"), "model.int8.onnx",
              dir.resolve("distilled-int8.run"), m);
          if (distTeacher != null) {
            rerank(pairs, maxLength, distTeacher.dir().resolve("export"), "model.int8.onnx",
                dir.resolve("distilled-teacher.run"), m);
          }
          rerank(pairs, maxLength, null, null, dir.resolve("minilm-zero-shot.run"), m);
          return m;
        });

    Dataset test = Datasets.open(testDir, null);
    Evaluator ev = new Evaluator(Metrics.parse(METRICS, Ndcg.Gain.LINEAR, 1), Run.Order.SCORE,
        false);
    Map<String, Evaluation> evals = new LinkedHashMap<>();
    Map<String, Path> runs = new LinkedHashMap<>();
    runs.put("bm25", rr.dir().resolve("bm25.run"));
    runs.put("minilm-zero-shot", rr.dir().resolve("minilm-zero-shot.run"));
    runs.put("finetuned", rr.dir().resolve("finetuned.run"));
    if (teacher != null) {
      if (teacher.scoresWithoutCpt() != null) {
        runs.put("teacher without CPT", teacher.scoresWithoutCpt().resolve("test.run"));
      }
      runs.put("teacher (CPT + SFT)", teacher.scores().resolve("test.run"));
      runs.put("distilled from the teacher", rr.dir().resolve("distilled-teacher.run"));
    }
    runs.put("distilled from the LLM run", rr.dir().resolve("distilled.run"));
    runs.put("distilled from the LLM run, int8", rr.dir().resolve("distilled-int8.run"));
    Map<String, Run> read = new LinkedHashMap<>();
    runs.forEach((name, f) -> read.put(name, TrecRuns.read(f)));
    read.forEach((name, r) -> evals.put(name, ev.evaluate(test.qrels(), r)));
    JsonNode llm = cfg.get("testLlmRun");
    if (llm != null) {
      evals.put("LLM reranker (evaluation row)", new Evaluator(Metrics.parse(METRICS,
          Ndcg.Gain.LINEAR, 1), Run.Order.RANK, false).evaluate(test.qrels(),
          TrecRuns.read(data.resolve(llm.asText()))));
    }
    String table = report(evals, testDir.getFileName().toString());
    if (teacher != null) {
      JsonNode c = teacher.cptMetrics();
      table += String.format(java.util.Locale.ROOT, "%nTeacher CPT on %d simulated click records:"
          + " held-out perplexity %.1f before, %.1f after.%n", c.path("clickRecords").asInt(),
          c.path("heldOutPerplexityBefore").asDouble(), c.path("heldOutPerplexityAfter")
          .asDouble());
    }
    return table + figures(read, ft, dist, distTeacher, teacher);
  }

  /**
   * The report's plots, next to it in the run directory: score histograms of teacher, distilled
   * and fine-tuned students on the test pairs (the paper's Figure 4) and the loss curves.
   */
  private String figures(Map<String, Run> runs, StageRunner.Result ft, StageRunner.Result dist,
      StageRunner.Result distTeacher, TeacherStages.Outputs teacher) {
    Path out = runner.runDir();
    StringBuilder sb = new StringBuilder("\n### Score distributions on the test pairs (Figure 4)"
        + "\n\n");
    Map<String, String> shown = new LinkedHashMap<>();
    if (teacher != null) {
      shown.put("teacher (CPT + SFT)", "scores-teacher.png");
      shown.put("distilled from the teacher", "scores-distilled-teacher.png");
    }
    shown.put("distilled from the LLM run", "scores-distilled-llm.png");
    shown.put("finetuned", "scores-finetuned.png");
    shown.forEach((name, png) -> {
      Run r = runs.get(name);
      float[] s = new float[r.size()];
      int[] i = {0};
      r.queryIds().forEach(q -> r.get(q).forEach(x -> s[i[0]++] = (float) x.score()));
      Plots.scoreHistogram(name, s, out.resolve(png));
      sb.append("![").append(name).append("](").append(png).append(")\n");
    });
    Map<String, Path> students = new LinkedHashMap<>();
    students.put("fine-tuned on labels (margin)", ft.dir().resolve("loss.tsv"));
    students.put("distilled from the LLM run", dist.dir().resolve("loss.tsv"));
    if (distTeacher != null) {
      students.put("distilled from the teacher", distTeacher.dir().resolve("loss.tsv"));
    }
    Plots.lossCurves("Student training loss", students, 20, out.resolve("loss-students.png"));
    sb.append("\n### Training loss\n\n![student losses](loss-students.png)\n");
    if (teacher != null) {
      Plots.lossCurves("Teacher continued pre-training (LM loss)", Map.of("CPT",
          teacher.cpt().resolve("loss.tsv")), 10, out.resolve("loss-teacher-cpt.png"));
      Map<String, Path> sft = new LinkedHashMap<>();
      sft.put("SFT after CPT", teacher.sft().resolve("loss.tsv"));
      if (teacher.sftWithoutCpt() != null) {
        sft.put("SFT without CPT", teacher.sftWithoutCpt().resolve("loss.tsv"));
      }
      Plots.lossCurves("Teacher fine-tuning (margin loss)", sft, 10,
          out.resolve("loss-teacher-sft.png"));
      sb.append("![teacher CPT loss](loss-teacher-cpt.png)\n![teacher SFT loss]"
          + "(loss-teacher-sft.png)\n");
    }
    return sb.toString();
  }

  /** Distils a teacher signal into the student (starting from the student's init). */
  private StageRunner.Result distill(String name, JsonNode ds, JsonNode st, long seed,
      Path trainDir, Path signalInput, java.util.function.Supplier<TeacherSignal> signal) {
    Map<String, Object> dsCfg = asMap(ds);
    dsCfg.put("seed", seed);
    return runner.run(name, dsCfg, List.of(trainDir, signalInput), dir -> {
      Dataset d = Datasets.open(trainDir, null);
      DistillConfig c = new DistillConfig(ds.path("loss").asText("hybrid"),
          ds.path("beta").asDouble(0.4), ds.path("steps").asInt(150),
          ds.path("batch").asInt(8), ds.path("learningRate").asDouble(3e-5), 0.1, 0.01, 1.0,
          st.path("maxLength").asInt(256), "all", 10, 5, 200,
          ds.path("normalize").asText("none"), seed, 0);
      var triplets = signal.get().triplets(d.queries().keySet(), d.documents().keySet(), "all",
          10, 5, 200, seed);
      var r = new Distiller(c, Devices.best()).train(load(st.path("init").asText("minilm")),
          triplets, d.queries(), d.documents(), dir, null, -1);
      export(r.model(), dir.resolve("export"));
      return Map.of("steps", r.steps(), "triplets", triplets.size());
    });
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

  /**
   * Reranks the pairs with an exported model (its ONNX file and tokenizer.json), or with
   * zero-shot MiniLM when model is null.
   */
  static void rerank(TopK pairs, int maxLength, Path model, String onnx, Path out,
      Map<String, Object> m) throws IOException {
    List<String> qs = pairs.queries();
    List<String> ds = pairs.documents();
    long t0 = System.nanoTime();
    float[] scores;
    byte[] tokenizer = model == null ? BertCheckpoint.minilmTokenizer()
        : Files.readAllBytes(model.resolve("tokenizer.json"));
    try (PairTokenizer tok = new PairTokenizer(tokenizer, maxLength)) {
      if (model == null) {
        try (BertModel bm = BertModel.create(BertCheckpoint.minilm(), Devices.best())) {
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
