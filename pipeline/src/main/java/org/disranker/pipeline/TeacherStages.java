package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.clicks.ClickRecord;
import org.disranker.core.clicks.ClickSimulator;
import org.disranker.core.data.Document;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.io.TrecRuns;
import org.disranker.model.Devices;
import org.disranker.model.llm.DecoderTokenizer;
import org.disranker.model.llm.LlamaCheckpoint;
import org.disranker.serve.PairText;
import org.disranker.serve.PoolScorer;
import org.disranker.serve.QueryScorer;
import org.disranker.serve.ScorerSpec;
import org.disranker.train.TeacherConfig;
import org.disranker.train.TeacherSignal;
import org.disranker.train.TeacherTrainer;
import org.disranker.train.TrainLoop;
import org.disranker.train.TrainingPairs;

/**
 * The teacher's stages of the pipeline: a decoder initialised from scratch (no pretrained LLM can
 * be downloaded here), continued pre-training on a click log simulated over the train collection,
 * fine-tuning as a ranker on the train labels (and, for the ablation, without CPT), and scoring
 * the first-stage top k of the train collection (the signal distilled into the student) and of
 * the test collection (an evaluation row). Settings come from the {@code teacher} object of the
 * pipeline config.
 */
final class TeacherStages {
  /** Where the teacher's outputs are. */
  record Outputs(Path cpt, JsonNode cptMetrics, Path sft, Path scores, Path sftWithoutCpt,
      Path scoresWithoutCpt) {}

  private final StageRunner runner;
  private final JsonNode t;
  private final long seed;

  TeacherStages(StageRunner runner, JsonNode teacher, long seed) {
    this.runner = runner;
    this.t = teacher;
    this.seed = seed;
  }

  Outputs run(Path trainDir, Path testDir, int topK) {
    JsonNode cl = t.path("clicks");
    JsonNode cp = t.path("cpt");
    Map<String, Object> cptCfg = new LinkedHashMap<>();
    cptCfg.put("size", t.path("size").asText("small"));
    cptCfg.put("clicks", cl.toString());
    cptCfg.put("cpt", cp.toString());
    cptCfg.put("seed", seed);
    StageRunner.Result cpt = runner.run("teacher/cpt", cptCfg, List.of(trainDir), dir -> {
      Dataset d = Datasets.open(trainDir, null);
      LlamaCheckpoint init = LlamaCheckpoint.fromScratch(t.path("size").asText("small"), seed);
      init.save(dir.resolve("init"));
      List<ClickRecord> log = new ClickSimulator(1.0, new double[] {0.05, 0.3, 0.7, 0.95},
          cl.path("topK").asInt(20), cl.path("sessions").asInt(50), seed).simulate(d.queries(),
          d.documents(), d.firstStage(), d.qrels(), d.queries().keySet());
      TeacherConfig c = new TeacherConfig("cpt", "lm", "last", 0, 0, cp.path("steps").asInt(80),
          cp.path("batch").asInt(8), cp.path("learningRate").asDouble(1e-3), 0.1, 0.01, 1.0,
          cp.path("maxLength").asInt(96), 0, 16, List.of(), DecoderTokenizer.DEFAULT_TEMPLATE,
          0, 0, 0.1, seed, 1000);
      TeacherTrainer.CptResult r = new TeacherTrainer(c, Devices.best()).cpt(init, log, dir,
          null, -1);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("clickRecords", log.size());
      m.put("heldOutPerplexityBefore", r.heldOutPerplexityBefore());
      m.put("heldOutPerplexityAfter", r.heldOutPerplexityAfter());
      m.put("tokensPerSecond", r.train().tokensPerSecond());
      return m;
    });
    StageRunner.Result sft = sft("teacher/sft", cpt.dir().resolve("model"), cpt.dir(), trainDir);
    StageRunner.Result score = score("teacher/score", sft.dir().resolve("model"), sft.dir(),
        trainDir, testDir, topK);
    StageRunner.Result sft0 = null;
    StageRunner.Result score0 = null;
    if (t.path("withoutCpt").asBoolean(false)) {
      sft0 = sft("teacher/sft-without-cpt", cpt.dir().resolve("init"), cpt.dir(), trainDir);
      score0 = score("teacher/score-without-cpt", sft0.dir().resolve("model"), sft0.dir(),
          trainDir, testDir, topK);
    }
    return new Outputs(cpt.dir(), cpt.metrics(), sft.dir(), score.dir(), sft0 == null ? null : sft0.dir(),
        score0 == null ? null : score0.dir());
  }

  private StageRunner.Result sft(String name, Path init, Path initStage, Path trainDir) {
    JsonNode s = t.path("sft");
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("sft", s.toString());
    cfg.put("init", init.getFileName().toString());
    cfg.put("seed", seed);
    return runner.run(name, cfg, List.of(trainDir, initStage), dir -> {
      Dataset d = Datasets.open(trainDir, null);
      TeacherConfig c = new TeacherConfig("sft", s.path("loss").asText("margin"), "last", 0.1,
          3, s.path("steps").asInt(80), s.path("batch").asInt(4),
          s.path("learningRate").asDouble(1e-3), 0.1, 0.01, 1.0, s.path("maxLength").asInt(128),
          0, 16, List.of(), DecoderTokenizer.DEFAULT_TEMPLATE, 200, 20, 0, seed, 1000);
      TrainingPairs pairs = TrainingPairs.fromQrels(d.qrels(), d.documents().keySet(), 200, seed)
          .withFirstStageNegatives(d.qrels(), d.firstStage(), d.documents().keySet(), 20, 100);
      TrainLoop.Result r = new TeacherTrainer(c, Devices.best()).sft(LlamaCheckpoint.load(init),
          pairs, d.queries(), d.documents(), dir, null, -1);
      return Map.of("steps", r.steps(), "tokensPerSecond", r.tokensPerSecond());
    });
  }

  /**
   * Scores the first-stage top k of the train collection ({@code train.tsv}, the distillation
   * signal) and of the test collection ({@code test.tsv} and {@code test.run}).
   */
  private StageRunner.Result score(String name, Path model, Path modelStage, Path trainDir,
      Path testDir, int topK) {
    JsonNode s = t.path("score");
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("score", s.toString());
    cfg.put("topK", topK);
    return runner.run(name, cfg, List.of(trainDir, testDir, modelStage), dir -> {
      ScorerSpec spec = ScorerSpec.teacher(model.toString(), s.path("maxLength").asInt(128),
          s.path("batch").asInt(32), "last", DecoderTokenizer.DEFAULT_TEMPLATE);
      Map<String, Object> m = new LinkedHashMap<>();
      try (QueryScorer scorer = spec.open()) {
        for (String which : List.of("train", "test")) {
          Dataset d = Datasets.open(which.equals("train") ? trainDir : testDir, null);
          long t0 = System.nanoTime();
          Run run = scoreTopK(scorer, d, topK, dir.resolve(which + ".tsv"));
          TrecRuns.write(dir.resolve(which + ".run"), run, "teacher");
          m.put(which + ".pairsPerSecond", run.size() / ((System.nanoTime() - t0) / 1e9));
        }
      }
      return m;
    });
  }

  /**
   * Scores each query's first-stage top k into {@code qid docid score} lines with the pool
   * scorer (the per-query plan of the Spark job; resumable).
   */
  static Run scoreTopK(QueryScorer scorer, Dataset d, int k, Path tsv) throws IOException {
    List<List<PairText>> queries = new ArrayList<>();
    for (String q : d.firstStage().queryIds()) {
      List<PairText> pairs = new ArrayList<>();
      for (ScoredDoc sd : d.firstStage().top(q, k)) {
        Document doc = d.documents().get(sd.docid());
        pairs.add(new PairText(q, sd.docid(), d.queries().get(q).text(), doc.title(),
            doc.body()));
      }
      queries.add(pairs);
    }
    PoolScorer.score(queries, scorer, tsv, Map.of("dataset", d.name(), "topK", k), null, -1);
    return TeacherSignal.fromScoreFile(tsv).toRun("teacher");
  }
}
