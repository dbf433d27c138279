package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.TopK;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.model.Devices;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.onnx.BertOnnxExporter;
import org.disranker.retrieval.PoolBuilder;
import org.disranker.serve.OnnxScorer;
import org.disranker.train.DistillConfig;
import org.disranker.train.Distiller;
import org.disranker.train.FineTuneConfig;
import org.disranker.train.FineTuner;
import org.disranker.train.TeacherSignal;
import org.disranker.train.TrainLoop;
import org.disranker.train.TrainingPairs;
import org.disranker.train.Validation;

/**
 * The student's stages: {@code student/distill-N}, the student distilled phase by phase, each
 * phase from the model of the one before, with a learning curve on the validation collection;
 * and {@code student/finetune}, the paper's baseline fine-tuned on labels.
 */
final class DistillStage extends StageContext {
  private final TeacherStage teacherStage;

  DistillStage(StageContext c, TeacherStage teacherStage) {
    super(c);
    this.teacherStage = teacherStage;
  }

  /** The distillation phases, each from the model of the one before. */
  List<StageRunner.Result> run(StageRunner.Result pool,
      Map<String, StageRunner.Result> teachers, Map<String, ListSources.ListSource> lists, long seed) {
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
        ListSources.ListSource l = lists.get(name);
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
          TeacherSignal signal = e.getKey().equals("pool") ? teacherStage.ensemble(teachers, normalize)
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
  Map<String, Integer> data(JsonNode ph, StageRunner.Result pool,
      Map<String, ListSources.ListSource> lists) {
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
  <T> void merge(Map<String, T> into, Map<String, T> from,
      java.util.function.Function<T, String> text, String source, String what) {
    from.forEach((id, v) -> {
      T old = into.putIfAbsent(id, v);
      if (old != null && !text.apply(old).equals(text.apply(v))) {
        throw new IllegalArgumentException(configFile + ": " + what + " id '" + id + "' of "
            + source + " has another text in an earlier source of the same phase");
      }
    });
  }


  /** The starting student: a pretrained encoder or a folder, with the config's changes. */
  BertCheckpoint initialStudent(JsonNode st) {
    String spec = st.path("init").asText("minilm");
    BertCheckpoint c = BertCheckpoint.pretrained(spec);
    if (c == null) {
      c = BertCheckpoint.load(dataPath(spec));
    }
    return st.path("type1FromType0").asBoolean(false) ? c.withTypeOneFromTypeZero() : c;
  }

  /** The validation collection's first-stage top k, or null when the config has none. */
  Validation validation(JsonNode val, int maxLength) {
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
        DistillStage::int8Scorer);
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
  StageRunner.Result finetune(long seed) {
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
      ExportStage.export(r.model(), dir.resolve("export"));
      return Map.of("steps", r.steps(), "tokensPerSecond", r.tokensPerSecond());
    });
  }
}
