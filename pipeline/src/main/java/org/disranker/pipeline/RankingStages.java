package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.data.TopK;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.Corpora;
import org.disranker.core.io.JsonFiles;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.metrics.Comparison;
import org.disranker.core.metrics.Evaluation;
import org.disranker.core.metrics.Evaluator;
import org.disranker.core.metrics.Formats;
import org.disranker.core.metrics.Metrics;
import org.disranker.core.metrics.Ndcg;
import org.disranker.model.Devices;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.onnx.BertOnnxExporter;
import org.disranker.model.tokenize.PairTokenizer;
import org.disranker.retrieval.PoolBuilder;
import org.disranker.serve.BiEncoder;
import org.disranker.serve.EmbeddingStore;
import org.disranker.serve.OnnxScorer;
import org.disranker.serve.PairText;
import org.disranker.serve.PoolScorer;
import org.disranker.serve.QueryScorer;
import org.disranker.serve.ScorerSpec;
import org.disranker.train.DistillConfig;
import org.disranker.train.Distiller;
import org.disranker.train.FineTuneConfig;
import org.disranker.train.FineTuner;
import org.disranker.train.TeacherSignal;
import org.disranker.train.TrainLoop;
import org.disranker.train.TrainingPairs;
import org.disranker.train.Validation;

/**
 * The ranking stages of the pipeline, from one JSON config (see {@code config/pipeline.json}
 * and docs/PIPELINE.md for every key):
 *
 * <ol>
 *   <li>{@code pool}: an unlabeled pool, queries (the MS MARCO dev queries) with the BM25 top k
 *       over the passages held here, the test collection's queries and passages kept out;
 *   <li>{@code teacher/NAME}: each teacher of the ensemble scores the pool (zero-shot bi-encoders,
 *       through the pool scorer that {@code spark score} shares; resumable);
 *   <li>{@code student/distill-N}: the student distilled from the ensemble, phase by phase, each
 *       phase starting from the last, with a learning curve on the validation collection;
 *   <li>{@code final}: the last phase's student exported (Hugging Face folder, ONNX fp32 and int8),
 *       the folder that {@code rerank}, {@code serve} and {@code spark score} take as it is;
 *   <li>{@code student/finetune}: the paper's baseline, the student fine-tuned on labels;
 *   <li>optionally the decoder teacher's stages ({@link TeacherStages});
 *   <li>{@code rerank/TEST}: the test collection's first-stage top k reranked by every model, and
 *       the report: the table, ΔGSB and p-values, the learning curve, the losses and the score
 *       distributions (the paper's Figure 4).
 * </ol>
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

  private Path dataPath(String value) {
    return data.resolve(value).normalize();
  }

  private Path required(String key) {
    JsonNode v = cfg.get(key);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(configFile + ": missing '" + key + "'");
    }
    return dataPath(v.asText());
  }

  private List<Path> paths(JsonNode array) {
    List<Path> out = new ArrayList<>();
    array.forEach(v -> out.add(dataPath(v.asText())));
    return out;
  }

  /** A config object as the map a stage manifest records (values as JSON text). */
  static Map<String, Object> asMap(JsonNode n) {
    Map<String, Object> m = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().toString()));
    return m;
  }

  /** Runs the stages; returns the report section. */
  public String run() {
    Path testDir = required("test");
    long seed = cfg.path("seed").asLong(42);
    int topK = cfg.path("topK").asInt(100);
    int maxLength = cfg.path("maxLength").asInt(256);

    StageRunner.Result pool = cfg.has("pool") ? pool(seed) : null;
    Map<String, StageRunner.Result> teachers = new LinkedHashMap<>();
    if (pool != null) {
      for (JsonNode t : cfg.path("teachers")) {
        teachers.put(t.path("model").asText(), scorePool(t, pool));
      }
      if (teachers.isEmpty()) {
        throw new IllegalArgumentException(configFile + ": no 'teachers' for the pool");
      }
    }
    Map<String, ListSource> lists = lists(testDir);
    if (pool == null && lists.isEmpty()) {
      throw new IllegalArgumentException(configFile + ": neither a 'pool' nor 'lists' to learn"
          + " from");
    }
    // the bi-encoders that taught, each shown as a ranker of the test collection
    java.util.Set<String> teacherModels = new java.util.LinkedHashSet<>(teachers.keySet());
    lists.values().forEach(l -> teacherModels.addAll(l.models()));
    List<StageRunner.Result> phases = distill(pool, teachers, lists, seed);
    StageRunner.Result last = phases.get(phases.size() - 1);
    StageRunner.Result fin = runner.run("final", Map.of("from", last.name()),
        List.of(last.dir()), dir -> {
          export(last.dir().resolve("model"), dir);
          return Map.of("from", last.name());
        });
    StageRunner.Result ft = cfg.has("finetune") ? finetune(seed) : null;
    JsonNode tc = cfg.get("decoderTeacher");
    TeacherStages.Outputs decoder = tc == null ? null : new TeacherStages(runner, tc, seed).run(
        required("train"), testDir, topK);

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
    StageRunner.Result base = runner.run("rerank/" + testDir.getFileName() + "/baselines",
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

    Dataset test = Datasets.open(testDir, null);
    Evaluator ev = new Evaluator(Metrics.parse(METRICS, Ndcg.Gain.LINEAR, 1), Run.Order.SCORE,
        false);
    Map<String, Path> runs = new LinkedHashMap<>();
    runs.put("BM25", base.dir().resolve("bm25.run"));
    runs.put("zero-shot MiniLM (bi-encoder)", base.dir().resolve("minilm-zero-shot.run"));
    for (String t : teacherModels) {
      if (!t.equals("minilm")) {
        runs.put("teacher " + t + " (zero-shot bi-encoder)", base.dir().resolve(t
            + "-zero-shot.run"));
      }
    }
    if (decoder != null) {
      if (decoder.scoresWithoutCpt() != null) {
        runs.put("decoder teacher without CPT", decoder.scoresWithoutCpt().resolve("test.run"));
      }
      runs.put("decoder teacher (CPT + SFT)", decoder.scores().resolve("test.run"));
    }
    if (ft != null) {
      runs.put("student fine-tuned on labels", rr.dir().resolve("finetuned.run"));
    }
    runs.put("final student (distilled), fp32", rr.dir().resolve("student.run"));
    runs.put("final student (distilled), int8", rr.dir().resolve("student-int8.run"));
    Map<String, Run> read = new LinkedHashMap<>();
    runs.forEach((name, f) -> read.put(name, TrecRuns.read(f)));
    Map<String, Evaluation> evals = new LinkedHashMap<>();
    read.forEach((name, r) -> evals.put(name, ev.evaluate(test.qrels(), r)));
    JsonNode llm = cfg.get("testLlmRun");
    if (llm != null) {
      evals.put("LLM reranker (RankVicuna-7B, evaluation row)", new Evaluator(Metrics.parse(
          METRICS, Ndcg.Gain.LINEAR, 1), Run.Order.RANK, false).evaluate(test.qrels(),
          TrecRuns.read(dataPath(llm.asText()))));
    }
    String testName = testDir.getFileName().toString();
    StringBuilder sb = new StringBuilder(report(evals, testName));
    sb.append(String.format(Locale.ROOT, "%n%s. Distillation: %s.%n",
        sourceSummary(pool, lists), phaseSummary(phases)));
    if (decoder != null) {
      JsonNode c = decoder.cptMetrics();
      sb.append(String.format(Locale.ROOT, "%nDecoder teacher CPT on %d simulated click records:"
          + " held-out perplexity %.1f before, %.1f after.%n", c.path("clickRecords").asInt(),
          c.path("heldOutPerplexityBefore").asDouble(), c.path("heldOutPerplexityAfter")
          .asDouble()));
    }
    sb.append(figures(read, teacherModels, phases, ft, decoder));
    return sb.toString();
  }

  /** The unlabeled pool. */
  private StageRunner.Result pool(long seed) {
    JsonNode p = cfg.path("pool");
    Map<String, Object> c = asMap(p);
    c.put("seed", seed);
    List<Path> queryFiles = paths(p.path("queries"));
    List<Path> queryDatasets = paths(p.path("queriesOf"));
    List<Path> corpora = paths(p.path("corpus"));
    List<Path> excluded = paths(p.path("exclude"));
    List<Path> inputs = new ArrayList<>(queryFiles);
    inputs.addAll(queryDatasets);
    inputs.addAll(corpora);
    inputs.addAll(excluded);
    PoolBuilder.FirstStage firstStage = DenseFirstStage.of(configFile + ": pool.firstStage",
        p.path("firstStage").asText("bm25"), p.path("firstStageMaxLength").asInt(192), 0);
    return runner.run("pool", c, inputs, dir -> {
      Map<String, Query> queries = new LinkedHashMap<>();
      for (Path f : queryFiles) {
        queries.putAll(Corpora.readQueries(f));
      }
      for (Path ds : queryDatasets) {
        queries.putAll(Datasets.open(ds, null).queries());
      }
      List<Document> corpus = new ArrayList<>();
      for (Path ds : corpora) {
        corpus.addAll(Datasets.open(ds, null).documents().values());
      }
      List<Query> exQ = new ArrayList<>();
      java.util.Set<String> exD = new java.util.HashSet<>();
      for (Path ds : excluded) {
        Dataset d = Datasets.open(ds, null);
        exQ.addAll(d.queries().values());
        exD.addAll(d.documents().keySet());
      }
      Map<String, Object> sources = new LinkedHashMap<>(c);
      PoolBuilder.Result r = PoolBuilder.build(queries, p.path("maxQueries").asInt(0), seed,
          corpus, exQ, exD, p.path("k").asInt(20), p.path("random").asInt(0), sources, dir,
          firstStage);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("queries", r.queries());
      m.put("pairs", r.pairs());
      m.put("passages", r.passages());
      m.put("excludedQueries", r.excludedQueries());
      m.put("excludedPassages", r.excludedPassages());
      return m;
    });
  }

  /** The pairs of a pool (its first stage), one list per query. */
  static List<List<PairText>> pairs(Dataset pool) {
    Map<String, List<String>> lists = new LinkedHashMap<>();
    for (String q : pool.firstStage().queryIds()) {
      lists.put(q, pool.firstStage().get(q).stream().map(ScoredDoc::docid).toList());
    }
    return pairs(pool, lists);
  }

  /** The texts of the given documents of each query, one list per query. */
  static List<List<PairText>> pairs(Dataset d, Map<String, List<String>> lists) {
    List<List<PairText>> out = new ArrayList<>();
    lists.forEach((q, ids) -> {
      List<PairText> l = new ArrayList<>();
      for (String id : ids) {
        Document doc = d.documents().get(id);
        l.add(new PairText(q, id, d.queries().get(q).text(), doc.title(), doc.body()));
      }
      out.add(l);
    });
    return out;
  }

  /** One teacher of the ensemble scores every pair of the pool. */
  private StageRunner.Result scorePool(JsonNode t, StageRunner.Result pool) {
    String model = t.path("model").asText();
    Map<String, Object> c = asMap(t);
    c.put("plan", "embedding store");
    return runner.run("teacher/" + model, c, List.of(pool.dir()), dir -> storeScore(model,
        t.path("maxLength").asInt(192), pairs(Datasets.open(pool.dir(), null)),
        dir.resolve("scores.tsv")));
  }

  /** The ensemble of the teachers' pool scores, each normalised per query first. */
  private TeacherSignal ensemble(Map<String, StageRunner.Result> teachers, String normalize) {
    List<TeacherSignal> parts = new ArrayList<>();
    double[] w = new double[teachers.size()];
    int i = 0;
    for (JsonNode t : cfg.path("teachers")) {
      parts.add(TeacherSignal.fromScoreFile(teachers.get(t.path("model").asText()).dir()
          .resolve("scores.tsv")).normalized(normalize));
      w[i++] = t.path("weight").asDouble(1);
    }
    return combine(parts, w, TeacherSignal.Missing.SKIP, normalize);
  }

  /** Teachers already normalised per query: one as it is, several as a normalised ensemble. */
  static TeacherSignal combine(List<TeacherSignal> parts, double[] w,
      TeacherSignal.Missing missing, String normalize) {
    return parts.size() == 1 ? parts.get(0) : TeacherSignal.ensemble(parts, w, missing)
        .normalized(normalize);
  }

  /** The distillation phases, each from the model of the one before. */
  private List<StageRunner.Result> distill(StageRunner.Result pool,
      Map<String, StageRunner.Result> teachers, Map<String, ListSource> lists, long seed) {
    JsonNode st = cfg.path("student");
    JsonNode val = cfg.path("validation");
    List<StageRunner.Result> done = new ArrayList<>();
    int n = 0;
    for (JsonNode ph : cfg.path("distill")) {
      n++;
      StageRunner.Result before = done.isEmpty() ? null : done.get(done.size() - 1);
      Map<String, Object> c = asMap(ph);
      c.put("seed", seed);
      c.put("student", st.toString());
      c.put("validation", val.toString());
      c.put("teachers", cfg.path("teachers").toString());
      Map<String, Integer> data = data(ph, pool, lists);
      List<Path> inputs = new ArrayList<>();
      if (data.containsKey("pool")) {
        inputs.add(pool.dir());
        teachers.values().forEach(t -> inputs.add(t.dir()));
      }
      for (String name : data.keySet()) {
        ListSource l = lists.get(name);
        if (l != null) {
          c.put("lists." + name, l.config());
          inputs.add(l.dataset());
          l.parts().forEach(x -> inputs.add(x.file()));
        }
      }
      if (before != null) {
        inputs.add(before.dir());
      }
      // each phase draws its own batches: phase N samples with seed + N - 1
      long phaseSeed = seed + n - 1;
      done.add(runner.run("student/distill-" + n, c, inputs, dir -> {
        String normalize = ph.path("normalize").asText("zscore");
        DistillConfig dc = new DistillConfig(ph.path("loss").asText("hybrid"),
            ph.path("beta").asDouble(0.4), ph.path("temperature").asDouble(1),
            ph.path("steps").asInt(300),
            ph.path("queries").asInt(4), ph.path("group").asInt(8),
            ph.path("learningRate").asDouble(1e-4), ph.path("headLearningRate").asDouble(0),
            ph.path("warmup").asDouble(0.1), ph.path("weightDecay").asDouble(0.01),
            ph.path("maxGradNorm").asDouble(1.0), ph.path("maxLength").asInt(128),
            ph.path("dropout").asDouble(0), ph.path("freeze").asText("none"), normalize, phaseSeed, ph.path("checkpointEvery")
            .asInt(50));
        Map<String, Query> queries = new LinkedHashMap<>();
        Map<String, Document> docs = new LinkedHashMap<>();
        List<TeacherSignal.Group> groups = new ArrayList<>();
        Map<String, Object> perSource = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : data.entrySet()) {
          Dataset d = Datasets.open(e.getKey().equals("pool") ? pool.dir()
              : lists.get(e.getKey()).dataset(), null);
          TeacherSignal signal = e.getKey().equals("pool") ? ensemble(teachers, normalize)
              : lists.get(e.getKey()).signal(normalize);
          List<TeacherSignal.Group> g = signal.groups(d.queries().keySet(),
              d.documents().keySet(), dc.group());
          merge(queries, d.queries(), Query::text, e.getKey(), "query");
          merge(docs, d.documents(), Document::body, e.getKey(), "passage");
          for (int k = 0; k < e.getValue(); k++) {
            groups.addAll(g);
          }
          Map<String, Object> src = new LinkedHashMap<>();
          src.put("queries", g.size());
          src.put("repeat", e.getValue());
          perSource.put(e.getKey(), src);
        }
        BertCheckpoint init = before == null ? initialStudent(st)
            : BertCheckpoint.load(before.dir().resolve("model"));
        Validation v = validation(val, dc.maxLength());
        if (v != null && before != null) {
          v = v.withoutStart(); // the phase before validated this model at its last step
        }
        TrainLoop.Result r = new Distiller(dc, Devices.best()).train(init, groups, queries,
            docs, v, dir, null, -1);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", r.steps());
        m.put("queries", groups.size());
        m.put("sources", perSource);
        m.put("pairsSeen", (long) r.steps() * dc.queries() * dc.group());
        m.put("tokensPerSecond", r.tokensPerSecond());
        if (!r.validation().isEmpty()) {
          Map<String, Double> lastVal = r.validation().get(r.validation().size() - 1);
          m.put("tokens", lastVal.get("tokens").longValue());
          m.put("validationNdcg10", lastVal.get("ndcg@10"));
        }
        return m;
      }));
    }
    if (done.isEmpty()) {
      throw new IllegalArgumentException(configFile + ": no 'distill' phases");
    }
    return done;
  }

  /**
   * What a phase learns from ({@code data}): each source (the {@code pool}, or a name of {@code
   * lists}) with how many times its queries enter an epoch. Without {@code data}, the pool once.
   */
  private Map<String, Integer> data(JsonNode ph, StageRunner.Result pool,
      Map<String, ListSource> lists) {
    Map<String, Integer> out = new LinkedHashMap<>();
    JsonNode d = ph.get("data");
    if (d == null) {
      if (pool == null) {
        throw new IllegalArgumentException(configFile + ": a distill phase without 'data' learns"
            + " from the pool, and there is no 'pool'");
      }
      out.put("pool", 1);
      return out;
    }
    if (!d.isObject() || d.isEmpty()) {
      throw new IllegalArgumentException(configFile + ": distill 'data' must be an object of"
          + " sources and repeats, e.g. {\"pool\": 1, \"dl22\": 8}");
    }
    d.fields().forEachRemaining(e -> {
      String name = e.getKey();
      if (name.equals("pool") ? pool == null : !lists.containsKey(name)) {
        throw new IllegalArgumentException(configFile + ": distill 'data' names '" + name
            + "', which is neither the pool nor one of 'lists' " + lists.keySet());
      }
      if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 1) {
        throw new IllegalArgumentException(configFile + ": distill 'data." + name + "' must be a"
            + " whole number of repeats, at least 1");
      }
      out.put(name, e.getValue().asInt());
    });
    return out;
  }

  /** Adds {@code from} to {@code into}; the same id with another text is an error. */
  private <T> void merge(Map<String, T> into, Map<String, T> from,
      java.util.function.Function<T, String> text, String source, String what) {
    from.forEach((id, v) -> {
      T old = into.putIfAbsent(id, v);
      if (old != null && !text.apply(old).equals(text.apply(v))) {
        throw new IllegalArgumentException(configFile + ": " + what + " id '" + id + "' of "
            + source + " has another text in an earlier source of the same phase");
      }
    });
  }

  /** One teacher of a candidate-list source: a score file or a recorded TREC run. */
  record Part(Path file, boolean recordedRun, double weight) {}

  /**
   * A collection's own candidate lists scored by teachers, a distillation source beside the
   * pool: the hard lists of the queries of a TREC DL year, where every candidate was retrieved
   * from the full collection for that query.
   */
  record ListSource(String name, Path dataset, Map<String, List<String>> pairs,
      List<Part> parts, List<String> models, TeacherSignal.Missing missing, String config) {
    /** The teachers' ensemble, each normalised per query first, kept to the list's pairs. */
    TeacherSignal signal(String normalize) {
      List<TeacherSignal> ts = new ArrayList<>();
      double[] w = new double[parts.size()];
      for (int i = 0; i < parts.size(); i++) {
        Part x = parts.get(i);
        ts.add((x.recordedRun() ? TeacherSignal.fromRun(x.file(), "score")
            : TeacherSignal.fromScoreFile(x.file())).normalized(normalize));
        w[i] = x.weight();
      }
      return combine(ts, w, missing, normalize).onlyPairs(pairs);
    }

    int pairCount() {
      return pairs.values().stream().mapToInt(List::size).sum();
    }
  }

  /** The config's {@code lists}: each scored by its bi-encoder teachers in its own stage. */
  private Map<String, ListSource> lists(Path testDir) {
    Map<String, ListSource> out = new LinkedHashMap<>();
    if (!cfg.has("lists")) {
      return out;
    }
    Dataset test = Datasets.open(testDir, null);
    PoolBuilder.Exclusion testQueries = PoolBuilder.Exclusion.of(test.queries().values());
    JsonNode val = cfg.path("validation").path("dataset");
    PoolBuilder.Exclusion validationQueries = val.isTextual() ? PoolBuilder.Exclusion.of(
        Datasets.open(dataPath(val.asText()), null).queries().values()) : null;
    for (JsonNode l : cfg.path("lists")) {
      String name = l.path("name").asText("");
      if (name.isEmpty() || name.equals("pool") || out.containsKey(name)) {
        throw new IllegalArgumentException(configFile + ": every entry of 'lists' needs its own"
            + " 'name' (not 'pool'), found '" + name + "'");
      }
      Path ds = dataPath(l.path("dataset").asText(""));
      Dataset d = Datasets.open(ds, null);
      for (Query q : d.queries().values()) {
        if (testQueries.excludes(q)) {
          throw new IllegalArgumentException(configFile + ": lists '" + name + "': query "
              + q.id() + " is a query of the test collection");
        }
        if (validationQueries != null && validationQueries.excludes(q)) {
          throw new IllegalArgumentException(configFile + ": lists '" + name + "': query "
              + q.id() + " is a query of the validation collection");
        }
      }
      String candidates = l.path("candidates").asText("firstStage");
      int k = l.path("topK").asInt(100);
      Map<String, List<String>> pairs = listPairs(d, candidates, k, test.documents().keySet());
      List<Part> parts = new ArrayList<>();
      List<String> models = new ArrayList<>();
      for (JsonNode t : l.path("teachers")) {
        double w = t.path("weight").asDouble(1);
        if (t.has("model")) {
          String model = t.path("model").asText();
          models.add(model);
          parts.add(new Part(scoreList(name, d, pairs, t, candidates, k, List.of(ds, testDir))
              .dir().resolve("scores.tsv"), false, w));
        } else if (t.has("run")) {
          Path run = dataPath(t.path("run").asText());
          if (!Files.isRegularFile(run)) {
            throw new IllegalArgumentException(configFile + ": lists '" + name + "': no run file "
                + run);
          }
          parts.add(new Part(run, true, w));
        } else {
          throw new IllegalArgumentException(configFile + ": lists '" + name + "': a teacher"
              + " needs 'model' (a bi-encoder) or 'run' (a recorded TREC run)");
        }
      }
      if (models.isEmpty()) {
        throw new IllegalArgumentException(configFile + ": lists '" + name + "' needs a 'model'"
            + " teacher, which scores every pair (a recorded run scores only its own top k)");
      }
      TeacherSignal.Missing missing = switch (l.path("missing").asText("min")) {
        case "min" -> TeacherSignal.Missing.MIN;
        case "skip" -> TeacherSignal.Missing.SKIP;
        default -> throw new IllegalArgumentException(configFile + ": lists '" + name
            + "': 'missing' must be min or skip");
      };
      out.put(name, new ListSource(name, ds, pairs, parts, models, missing, l.toString()));
    }
    return out;
  }

  /**
   * A collection's candidate lists: {@code all} its candidates (TREC DL's union of the first-stage
   * runs) or its {@code firstStage} top k; the test collection's passages left out.
   */
  static Map<String, List<String>> listPairs(Dataset d, String candidates, int k,
      java.util.Set<String> excludedDocs) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    switch (candidates) {
      case "all" -> {
        if (d.pool().isEmpty()) {
          throw new IllegalArgumentException(d.name() + " has no candidate pool; use"
              + " 'candidates': 'firstStage'");
        }
        d.pool().forEach((q, l) -> out.put(q, l));
      }
      case "firstStage" -> {
        if (!d.hasFirstStage()) {
          throw new IllegalArgumentException(d.name() + " has no first-stage run");
        }
        for (String q : d.firstStage().queryIds()) {
          List<String> l = new ArrayList<>();
          for (ScoredDoc sd : d.firstStage().get(q)) {
            if (l.size() == k) {
              break;
            }
            l.add(sd.docid());
          }
          out.put(q, l);
        }
      }
      default -> throw new IllegalArgumentException("'candidates' must be all or firstStage, not"
          + " '" + candidates + "'");
    }
    out.replaceAll((q, l) -> l.stream().filter(x -> !excludedDocs.contains(x)
        && d.documents().containsKey(x)).toList());
    out.values().removeIf(List::isEmpty);
    return out;
  }

  /**
   * One bi-encoder teacher scores a list source's pairs (resumable, like the pool's); the pairs
   * follow from the stage's inputs (the collection, the test collection) and the list's config.
   */
  private StageRunner.Result scoreList(String name, Dataset d, Map<String, List<String>> pairs,
      JsonNode t, String candidates, int k, List<Path> inputs) {
    String model = t.path("model").asText();
    Map<String, Object> c = asMap(t);
    c.put("candidates", candidates);
    c.put("topK", k);
    c.put("plan", "embedding store");
    return runner.run("lists/" + name + "/" + model, c, inputs, dir -> storeScore(model,
        t.path("maxLength").asInt(192), pairs(d, pairs), dir.resolve("scores.tsv")));
  }

  /** The starting student: a pretrained encoder or a folder, with the config's changes. */
  private BertCheckpoint initialStudent(JsonNode st) {
    String spec = st.path("init").asText("minilm");
    BertCheckpoint c = BertCheckpoint.pretrained(spec);
    if (c == null) {
      c = BertCheckpoint.load(dataPath(spec));
    }
    return st.path("type1FromType0").asBoolean(false) ? c.withTypeOneFromTypeZero() : c;
  }

  /** The validation collection's first-stage top k, or null when the config has none. */
  private Validation validation(JsonNode val, int maxLength) {
    if (!val.has("dataset")) {
      return null;
    }
    Dataset v = Datasets.open(dataPath(val.path("dataset").asText()), null);
    PoolBuilder.Exclusion test = PoolBuilder.Exclusion.of(Datasets.open(required("test"), null)
        .queries().values());
    if (v.queries().values().stream().anyMatch(test::excludes)) {
      throw new IllegalArgumentException(configFile + ": the validation set shares queries with"
          + " the test set");
    }
    return new Validation(v.name(), TopK.of(v.firstStage(), val.path("topK").asInt(100),
        v.queries(), v.documents()), v.qrels(), val.path("every").asInt(100), maxLength,
        RankingStages::int8Scorer);
  }

  /**
   * The int8 ONNX Runtime export of a checkpoint's weights, the validation scorer: about three
   * times the speed of the DJL training model on these CPUs, and what the final student serves.
   */
  public static Validation.CloseableScorer int8Scorer(BertCheckpoint c) {
    OnnxScorer s = OnnxScorer.load(BertOnnxExporter.export(c, true), 0);
    return new Validation.CloseableScorer() {
      @Override
      public float[] score(org.disranker.model.bert.Batch batch) {
        return s.score(batch);
      }

      @Override
      public void close() {
        s.close();
      }
    };
  }

  /** The paper's baseline: the student fine-tuned on the train collection's labels. */
  private StageRunner.Result finetune(long seed) {
    JsonNode f = cfg.path("finetune");
    Path trainDir = required("train");
    Map<String, Object> c = asMap(f);
    c.put("seed", seed);
    c.put("student", cfg.path("student").toString());
    return runner.run("student/finetune", c, List.of(trainDir), dir -> {
      Dataset d = Datasets.open(trainDir, null);
      FineTuneConfig fc = new FineTuneConfig("margin", 0.1, f.path("steps").asInt(150),
          f.path("batch").asInt(8), f.path("learningRate").asDouble(3e-5),
          f.path("headLearningRate").asDouble(0), 0.1, 0.01, 1.0, f.path("maxLength").asInt(128),
          200, 3, seed, 0);
      var r = new FineTuner(fc, Devices.best()).train(initialStudent(cfg.path("student")),
          TrainingPairs.fromQrels(d.qrels(), d.documents().keySet(), 200, seed), d.queries(),
          d.documents(), dir, null, -1);
      export(r.model(), dir.resolve("export"));
      return Map.of("steps", r.steps(), "tokensPerSecond", r.tokensPerSecond());
    });
  }

  /** Writes a student folder: the Hugging Face files and both ONNX models. */
  static void export(Path model, Path out) {
    BertCheckpoint c = BertCheckpoint.load(model);
    c.save(out);
    for (boolean int8 : new boolean[] {false, true}) {
      byte[] onnx = BertOnnxExporter.export(c, int8);
      AtomicFiles.writeBytes(out.resolve(int8 ? "model.int8.onnx" : "model.onnx"),
          os -> os.write(onnx));
    }
  }

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
  private void zeroShot(TopK pairs, BiEncoder.Spec spec, Path out, Map<String, Object> m) {
    long t0 = System.nanoTime();
    float[] scores;
    try (EmbeddingStore store = EmbeddingStore.open(embeddings(), new BiEncoder(spec, 256, 0))) {
      scores = store.score(pairs.queries(), pairs.documents(), spec.name());
    }
    write(pairs, scores, out, t0, m);
  }

  /** The run's embedding store: every bi-encoder vector any stage computed, by text. */
  private Path embeddings() {
    return runner.runDir().resolve("embeddings");
  }

  /**
   * A bi-encoder scores a pool of pairs into {@code scores.tsv}: its distinct texts embedded once
   * into the run's store (those already there are read), then each pair's dot product; both steps
   * resume after a kill.
   */
  private Map<String, Object> storeScore(String model, int maxLength, List<List<PairText>> pool,
      Path out) {
    long t0 = System.nanoTime();
    try (EmbeddingStore store = EmbeddingStore.open(embeddings(), new BiEncoder(
        BiEncoder.Spec.named(model), maxLength, 0))) {
      List<String> texts = store.texts(pool);
      store.ensure(texts, model + " texts", null);
      PoolScorer.Result r = PoolScorer.score(pool, store.scorer(), out, Map.of("model", model,
          "maxLength", maxLength, "store", runner.runDir().relativize(store.dir()).toString()),
          null, -1);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("queries", pool.size());
      m.put("pairs", r.pairs());
      m.put("distinctTexts", texts.size());
      m.put("textsEmbeddedNow", store.embeddedNow());
      m.put("pairsPerSecond", r.pairs() / ((System.nanoTime() - t0) / 1e9));
      return m;
    }
  }

  private static void write(TopK pairs, float[] scores, Path out, long t0,
      Map<String, Object> m) {
    String name = out.getFileName().toString().replace(".run", "");
    TrecRuns.write(out, pairs.toRun(scores, name), name);
    m.put(name + ".pairsPerSecond", scores.length / ((System.nanoTime() - t0) / 1e9));
  }

  private static String sourceSummary(StageRunner.Result pool, Map<String, ListSource> lists) {
    List<String> parts = new ArrayList<>();
    if (pool != null) {
      JsonNode m = pool.metrics();
      parts.add(String.format(Locale.ROOT, "The pool: %d queries, %d pairs over %d passages (%d"
          + " queries and %d passages of the test collection kept out)", m.path("queries").asInt(),
          m.path("pairs").asInt(), m.path("passages").asInt(), m.path("excludedQueries").asInt(),
          m.path("excludedPassages").asInt()));
    }
    lists.values().forEach(l -> parts.add(String.format(Locale.ROOT, "The lists '%s': %d queries"
        + " of %s, %d pairs, %d teacher%s", l.name(), l.pairs().size(), l.dataset().getFileName(),
        l.pairCount(), l.parts().size(), l.parts().size() == 1 ? "" : "s")));
    return String.join(". ", parts);
  }

  private static String phaseSummary(List<StageRunner.Result> phases) {
    List<String> parts = new ArrayList<>();
    for (StageRunner.Result r : phases) {
      JsonNode m = r.metrics();
      List<String> from = new ArrayList<>();
      m.path("sources").fields().forEachRemaining(e -> from.add(String.format(Locale.ROOT,
          "%s %d queries x%d", e.getKey(), e.getValue().path("queries").asInt(),
          e.getValue().path("repeat").asInt())));
      parts.add(String.format(Locale.ROOT, "%s: %d steps, %d pairs seen%s, %.1fM tokens, %.0f"
          + " tokens/s, %.0f s", r.name(), m.path("steps").asInt(), m.path("pairsSeen").asLong(),
          from.isEmpty() ? "" : " (from " + String.join(", ", from) + ")",
          m.path("tokens").asLong() / 1e6, m.path("tokensPerSecond").asDouble(), r.seconds()));
    }
    return String.join("; ", parts);
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
        sb.append(' ').append(Formats.num(e.value(x))).append(" |");
      }
      sb.append('\n');
    });
    for (String base : List.of("zero-shot MiniLM (bi-encoder)", "student fine-tuned on labels")) {
      Evaluation b = evals.get(base);
      if (b == null) {
        continue;
      }
      sb.append("\nAgainst ").append(base).append(" (ΔGSB on nDCG@10, paired tests):\n\n"
          + "| ranker | nDCG@10 delta | G/S/B | ΔGSB | p (t-test) | p (randomization) |\n"
          + "|---|---:|---:|---:|---:|---:|\n");
      evals.forEach((name, e) -> {
        if (e == b) {
          return;
        }
        Comparison c = Comparison.of(e, b, "ndcg@10", 10000, 42);
        sb.append("| ").append(name).append(" | ").append(Formats.signed(
            c.delta())).append(" | ").append(c.good()).append('/').append(c.same()).append('/')
            .append(c.bad()).append(" | ").append(Formats.signed(
            c.deltaGsb())).append(" | ").append(Formats.pValue(c.tTestP())).append(" | ")
            .append(Formats.pValue(c.randomizationP())).append(" |\n");
      });
    }
    return sb.toString();
  }

  /**
   * The report's plots, next to it in the run directory: the learning curve on the validation
   * collection, the training losses, and the score distributions on the test pairs of a teacher,
   * the distilled and the fine-tuned student (the paper's Figure 4).
   */
  private String figures(Map<String, Run> runs, java.util.Set<String> teachers,
      List<StageRunner.Result> phases, StageRunner.Result ft, TeacherStages.Outputs decoder) {
    Path out = runner.runDir();
    StringBuilder sb = new StringBuilder();
    Map<String, Path> curves = new LinkedHashMap<>();
    Map<String, Path> losses = new LinkedHashMap<>();
    for (StageRunner.Result ph : phases) {
      if (Files.isRegularFile(ph.dir().resolve("validation.tsv"))) {
        curves.put(ph.name(), ph.dir().resolve("validation.tsv"));
      }
      losses.put(ph.name(), ph.dir().resolve("loss.tsv"));
    }
    if (ft != null) {
      losses.put("student/finetune (labels, margin)", ft.dir().resolve("loss.tsv"));
    }
    if (!curves.isEmpty()) {
      Plots.learningCurves("Student learning curve (validation nDCG@10)", "ndcg@10", curves,
          out.resolve("learning-curve.png"));
      sb.append("\n### Learning curve\n\n![learning curve](learning-curve.png)\n");
    }
    Plots.lossCurves("Student training loss", losses, 20, out.resolve("loss-students.png"));
    sb.append("\n### Training loss\n\n![student losses](loss-students.png)\n");
    sb.append("\n### Score distributions on the test pairs (Figure 4)\n\n");
    Map<String, String> shown = new LinkedHashMap<>();
    String teacher = teachers.stream().filter(t -> !t.equals("minilm")).findFirst()
        .map(t -> "teacher " + t + " (zero-shot bi-encoder)").orElse(
            "zero-shot MiniLM (bi-encoder)");
    shown.put(teacher, "scores-teacher.png");
    shown.put("final student (distilled), fp32", "scores-distilled.png");
    if (ft != null) {
      shown.put("student fine-tuned on labels", "scores-finetuned.png");
    }
    if (decoder != null) {
      shown.put("decoder teacher (CPT + SFT)", "scores-decoder-teacher.png");
    }
    shown.forEach((name, png) -> {
      Run r = runs.get(name);
      float[] s = new float[r.size()];
      int[] i = {0};
      r.queryIds().forEach(q -> r.get(q).forEach(x -> s[i[0]++] = (float) x.score()));
      Plots.scoreHistogram(name, s, out.resolve(png));
      sb.append("![").append(name).append("](").append(png).append(")\n");
    });
    if (decoder != null) {
      Plots.lossCurves("Decoder teacher continued pre-training (LM loss)", Map.of("CPT",
          decoder.cpt().resolve("loss.tsv")), 10, out.resolve("loss-teacher-cpt.png"));
      Map<String, Path> sft = new LinkedHashMap<>();
      sft.put("SFT after CPT", decoder.sft().resolve("loss.tsv"));
      if (decoder.sftWithoutCpt() != null) {
        sft.put("SFT without CPT", decoder.sftWithoutCpt().resolve("loss.tsv"));
      }
      Plots.lossCurves("Decoder teacher fine-tuning (margin loss)", sft, 10,
          out.resolve("loss-teacher-sft.png"));
      sb.append("\n![teacher CPT loss](loss-teacher-cpt.png)\n![teacher SFT loss]"
          + "(loss-teacher-sft.png)\n");
    }
    return sb.toString();
  }

}
