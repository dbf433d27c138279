package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.serve.BiEncoder;
import org.disranker.serve.EmbeddingStore;
import org.disranker.serve.PairText;
import org.disranker.train.TeacherSignal;

/**
 * The teachers' stages: {@code teacher/MODEL} scores the pool, {@code lists/NAME/MODEL} a list
 * source, each through the run's embedding store (a bi-encoder embeds each distinct text once,
 * whatever stage asks for it); and the teachers' ensemble that the student learns from.
 */
final class TeacherStage extends StageContext {
  TeacherStage(StageContext c) {
    super(c);
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
  StageRunner.Result scorePool(JsonNode t, StageRunner.Result pool) {
    String model = t.path("model").asText();
    Map<String, Object> c = asMap(t);
    c.put("plan", "embedding store");
    return runner.run("teacher/" + model, c, List.of(pool.dir()), dir -> storeScore(model,
        t.path("maxLength").asInt(192), pairs(Datasets.open(pool.dir(), null)),
        dir.resolve("scores.tsv")));
  }

  /** The ensemble of the teachers' pool scores, each normalised per query first. */
  TeacherSignal ensemble(Map<String, StageRunner.Result> teachers, String normalize) {
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


  /**
   * One bi-encoder teacher scores a list source's pairs (resumable, like the pool's); the pairs
   * follow from the stage's inputs (the collection, the test collection) and the list's config.
   */
  StageRunner.Result scoreList(String name, Dataset d, Map<String, List<String>> pairs,
      JsonNode t, String candidates, int k, List<Path> inputs) {
    String model = t.path("model").asText();
    Map<String, Object> c = asMap(t);
    c.put("candidates", candidates);
    c.put("topK", k);
    c.put("plan", "embedding store");
    return runner.run("lists/" + name + "/" + model, c, inputs, dir -> storeScore(model,
        t.path("maxLength").asInt(192), pairs(d, pairs), dir.resolve("scores.tsv")));
  }

  /**
   * A bi-encoder scores a pool of pairs into {@code scores.tsv}: its distinct texts embedded once
   * into the run's store (those already there are read), then each pair's dot product; both steps
   * resume after a kill.
   */
  Map<String, Object> storeScore(String model, int maxLength, List<List<PairText>> pool,
      Path out) {
    long t0 = System.nanoTime();
    try (EmbeddingStore store = EmbeddingStore.open(embeddings(), new BiEncoder(
        BiEncoder.Spec.named(model), maxLength, 0))) {
      EmbeddingStore.PoolResult r = store.scorePool(pool, out, Map.of("model", model,
          "maxLength", maxLength, "store", runner.runDir().relativize(store.dir()).toString()),
          null, model + " texts");
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("queries", pool.size());
      m.put("pairs", r.scored().pairs());
      m.put("distinctTexts", r.distinctTexts());
      m.put("textsEmbeddedNow", r.embeddedNow());
      m.put("pairsPerSecond", r.scored().pairs() / ((System.nanoTime() - t0) / 1e9));
      return m;
    }
  }
}
