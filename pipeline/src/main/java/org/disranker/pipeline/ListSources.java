package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Query;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.retrieval.PoolBuilder;
import org.disranker.train.TeacherSignal;

/**
 * The config's {@code lists}: a collection's own candidate lists (the hard lists of a TREC DL
 * year, every candidate retrieved from the full collection for its query), scored by bi-encoder
 * teachers and recorded runs, a distillation source beside the pool.
 */
final class ListSources extends StageContext {
  private final TeacherStage teachers;

  ListSources(StageContext c, TeacherStage teachers) {
    super(c);
    this.teachers = teachers;
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
      return TeacherStage.combine(ts, w, missing, normalize).onlyPairs(pairs);
    }

    int pairCount() {
      return pairs.values().stream().mapToInt(List::size).sum();
    }
  }

  /** The config's {@code lists}: each scored by its bi-encoder teachers in its own stage. */
  Map<String, ListSource> run(Path testDir) {
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
          parts.add(new Part(teachers.scoreList(name, d, pairs, t, candidates, k, List.of(ds, testDir))
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
}
