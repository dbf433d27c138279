package org.disranker.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.util.Interruption;
import org.disranker.model.Devices;
import org.disranker.train.DistillConfig;
import org.disranker.train.Distiller;
import org.disranker.train.TeacherSignal;
import org.disranker.train.TrainLoop;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker distill}: stage 4 of the paper. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Distil a teacher into the BERT student with the hybrid loss Point-MSE + beta"
        + " * Margin-MSE (or either part alone) over the triplets (q, d+, d-) the teacher orders"
        + " within groups of a query's documents. The teacher is one or several score files or"
        + " TREC runs (an ensemble: each normalised per query, then a weighted mean); the texts"
        + " come from one or several datasets or pools ('disranker data pool'). Checkpoints"
        + " into OUT/checkpoint; run again to resume; the result is OUT/model."})
public final class DistillCommand implements Callable<Integer> {
  @Option(names = "--dataset", required = true, paramLabel = "DIR",
      description = "Dataset or pool folder with the queries and documents; repeatable")
  List<Path> datasets;

  @Option(names = "--teacher-scores", paramLabel = "FILE[@WEIGHT]",
      description = "Teacher scores: 'qid docid score' TSV or JSON lines, or the JSON-lines output"
          + " folder of 'disranker spark score'; repeatable; @WEIGHT in an ensemble (default 1)")
  List<String> scoreFiles = new ArrayList<>();

  @Option(names = "--teacher-run", paramLabel = "FILE[@WEIGHT]",
      description = "A TREC run as teacher (see --rank-map); repeatable")
  List<String> runFiles = new ArrayList<>();

  @Option(names = "--rank-map", defaultValue = "score",
      description = "For --teacher-run: score (use its scores), linear (1 - (r-1)/n) or"
          + " reciprocal (1/r) of the rank column; default ${DEFAULT-VALUE}")
  String rankMap;

  @Option(names = "--normalize", defaultValue = "zscore",
      description = "Each teacher's scores: none, zscore or minmax per query, or global (a"
          + " z-score over all pairs); default ${DEFAULT-VALUE}")
  String normalize;

  @Option(names = "--missing", defaultValue = "min",
      description = "Ensemble: a pair a teacher did not score gets its lowest score for the query"
          + " (min) or is left to the others (skip); default ${DEFAULT-VALUE}")
  String missing;

  @Option(names = "--init", defaultValue = Models.MINILM,
      description = "Student to start from: minilm (6 layers), bge-small or e5-small (12 layers;"
          + " see --layers) or a BERT folder")
  String init;

  @Option(names = "--layers", description = "Keep only the first N layers of --init")
  Integer layers;

  @Option(names = "--out", required = true) Path out;

  @Option(names = "--loss", defaultValue = "hybrid",
      description = "point, margin, hybrid or listwise (default ${DEFAULT-VALUE})")
  String loss;

  @Option(names = "--beta", defaultValue = "0.4", description = "Weight of Margin-MSE")
  double beta;

  @Option(names = "--temperature", defaultValue = "1",
      description = "Listwise: divide the teacher's scores by this before the softmax (default"
          + " ${DEFAULT-VALUE})")
  double temperature;

  @Option(names = "--group", defaultValue = "8",
      description = "Documents per query per step (default ${DEFAULT-VALUE})")
  int group;

  @Mixin StudentTrainingOptions t;

  @Option(names = "--dropout", defaultValue = "0",
      description = "Training dropout of the student, where Hugging Face BERT applies it (after"
          + " the embeddings, attention probabilities, each block's output, the pooled state);"
          + " default ${DEFAULT-VALUE}")
  double dropout;

  @Option(names = "--freeze", defaultValue = "none",
      description = "Keep fixed: none, embeddings, layers:N (the embeddings and the first N"
          + " layers; a step costs less) or encoder (only the head learns); default"
          + " ${DEFAULT-VALUE}")
  String freeze;

  @Option(names = "--validate", paramLabel = "DIR",
      description = "A labelled dataset (never the test set) to rerank every --validate-every"
          + " steps for a learning curve, e.g. ../shared/data/trec-dl/dl19")
  Path validate;

  @Option(names = "--validate-every", defaultValue = "100",
      description = "Steps between validations (default ${DEFAULT-VALUE})")
  int validateEvery;

  @Option(names = "--validate-top-k", defaultValue = "30",
      description = "First-stage documents per validation query (default ${DEFAULT-VALUE})")
  int validateTopK;

  @Override
  public Integer call() {
    Map<String, Query> queries = new LinkedHashMap<>();
    Map<String, Document> docs = new LinkedHashMap<>();
    for (Path p : datasets) {
      Dataset d = Datasets.open(p, null);
      merge(queries, d.queries(), p, "query", (a, b) -> a.text().equals(b.text()));
      merge(docs, d.documents(), p, "document", (a, b) -> a.text().equals(b.text()));
    }
    TeacherSignal signal = teacher(scoreFiles, runFiles, rankMap, normalize, missing);
    if (!runFiles.isEmpty() && !rankMap.equals("score") && !loss.equals("margin")) {
      System.err.println("note: the teacher gives ranks only, so the point term fits rank-mapped"
          + " levels, not relevance; on DL20 (docs/RESULTS.md, Table 3) --loss margin did better"
          + " with such teachers");
    }
    List<TeacherSignal.Group> groups = signal.groups(queries.keySet(), docs.keySet(), group);
    long pairs = groups.stream().mapToLong(TeacherSignal.Group::size).sum();
    System.err.println(groups.size() + " queries with at least " + group + " teacher-scored"
        + " documents (" + pairs + " pairs)");
    DistillConfig c = new DistillConfig(loss, beta, temperature, t.steps, t.batch, group, t.lr, t.headLr,
        t.warmup, t.weightDecay, t.clip, t.maxLength, dropout, freeze, normalize, t.seed, t.every);
    org.disranker.train.Validation v = null;
    if (validate != null) {
      Dataset vd = Datasets.open(validate, null);
      if (!vd.hasFirstStage()) {
        throw new IllegalArgumentException("--validate " + validate + " has no first-stage run");
      }
      v = new org.disranker.train.Validation(vd.name(), org.disranker.core.data.TopK.of(
          vd.firstStage(), validateTopK, vd.queries(), vd.documents()), vd.qrels(),
          validateEvery, t.maxLength, org.disranker.pipeline.RankingStages::int8Scorer);
    }
    try (Interruption stop = Interruption.register("distill")) {
      TrainLoop.Result r = new Distiller(c, Devices.best()).train(Models.load(init, layers),
          groups, queries, docs, v, out, stop, -1);
      System.err.printf("%s after %d steps (%.0f tokens/s); %s%n",
          r.interrupted() ? "stopped" : "finished", r.steps(), r.tokensPerSecond(), r.model());
      return r.interrupted() ? 130 : 0;
    }
  }

  /** The teacher signal of score files and runs, each FILE or FILE@WEIGHT. */
  static TeacherSignal teacher(List<String> scoreFiles, List<String> runFiles, String rankMap,
      String normalize, String missing) {
    List<TeacherSignal> parts = new ArrayList<>();
    List<Double> weights = new ArrayList<>();
    for (String spec : scoreFiles) {
      parts.add(TeacherSignal.fromScoreFile(Path.of(file(spec))).normalized(normalize));
      weights.add(weight(spec));
    }
    for (String spec : runFiles) {
      parts.add(TeacherSignal.fromRun(Path.of(file(spec)), rankMap).normalized(normalize));
      weights.add(weight(spec));
    }
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("give a teacher: --teacher-scores or --teacher-run");
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    double[] w = weights.stream().mapToDouble(Double::doubleValue).toArray();
    return TeacherSignal.ensemble(parts, w, TeacherSignal.Missing.valueOf(
        missing.toUpperCase(java.util.Locale.ROOT))).normalized(normalize);
  }

  static String file(String spec) {
    int at = spec.lastIndexOf('@');
    return at < 0 ? spec : spec.substring(0, at);
  }

  static double weight(String spec) {
    int at = spec.lastIndexOf('@');
    if (at < 0) {
      return 1;
    }
    try {
      double w = Double.parseDouble(spec.substring(at + 1));
      if (!(w > 0)) {
        throw new NumberFormatException();
      }
      return w;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("teacher '" + spec + "': the weight after @ must be a"
          + " positive number");
    }
  }

  static <V> void merge(Map<String, V> into, Map<String, V> more, Path from, String what,
      java.util.function.BiPredicate<V, V> same) {
    more.forEach((id, v) -> {
      V old = into.putIfAbsent(id, v);
      if (old != null && !same.test(old, v)) {
        throw new IllegalArgumentException(from + ": " + what + " " + id + " differs from the"
            + " one with the same id in an earlier --dataset");
      }
    });
  }
}
