package org.disranker.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.util.Interruption;
import org.disranker.model.Devices;
import org.disranker.train.DistillConfig;
import org.disranker.train.Distiller;
import org.disranker.train.TeacherSignal;
import org.disranker.train.TrainLoop;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker distill}: stage 4 of the paper. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Distil a teacher into the BERT student on triplets (q, d+, d-) with the"
        + " teacher preferring d+, with the hybrid loss Point-MSE + beta * Margin-MSE (or either"
        + " part alone). The teacher signal is this project's teacher scores, or a TREC run"
        + " (its scores, or its ranks through a rank-to-score map). Checkpoints into"
        + " OUT/checkpoint; run again to resume; the result is OUT/model."})
public final class DistillCommand implements Callable<Integer> {
  @Mixin DatasetOptions data;

  /** Exactly one teacher source. */
  static final class Source {
    @Option(names = "--teacher-scores", paramLabel = "FILE",
        description = "Teacher scores: 'qid docid score' TSV or JSON lines from 'disranker"
            + " teacher score', or the JSON-lines output folder of 'disranker spark score'")
    Path scores;

    @Option(names = "--teacher-run", paramLabel = "FILE", description = "A TREC run")
    Path run;
  }

  @ArgGroup(exclusive = true, multiplicity = "1") Source source;

  @Option(names = "--rank-map", defaultValue = "linear",
      description = "For --teacher-run: score (use its scores), linear (1 - (r-1)/n) or"
          + " reciprocal (1/r) of the rank column; default ${DEFAULT-VALUE}")
  String rankMap;

  @Option(names = "--normalize", defaultValue = "none",
      description = "Teacher scores per query: none, zscore or minmax")
  String normalize;

  @Option(names = "--init", defaultValue = Models.MINILM,
      description = "Student to start from: minilm, bge-small or a BERT folder")
  String init;

  @Option(names = "--layers", description = "Keep only the first N layers of --init")
  Integer layers;

  @Option(names = "--out", required = true) Path out;

  @Option(names = "--loss", defaultValue = "hybrid", description = "point, margin or hybrid")
  String loss;

  @Option(names = "--beta", defaultValue = "0.4", description = "Weight of Margin-MSE")
  double beta;

  @Option(names = "--sampling", defaultValue = "all",
      description = "all pairs, top (top N against the rest) or hard (pairs within a window)")
  String sampling;

  @Option(names = "--top-n", defaultValue = "10") int topN;

  @Option(names = "--window", defaultValue = "5") int window;

  @Option(names = "--triplets-per-query", defaultValue = "200") int cap;

  @Mixin StudentTrainingOptions t;

  @Override
  public Integer call() {
    Dataset d = data.open();
    TeacherSignal signal = (source.scores != null ? TeacherSignal.fromScoreFile(source.scores)
        : TeacherSignal.fromRun(source.run, rankMap)).normalized(normalize);
    if (source.run != null && !rankMap.equals("score") && !loss.equals("margin")) {
      System.err.println("note: the teacher gives ranks only, so the point term fits rank-mapped"
          + " levels, not relevance; on DL20 (docs/RESULTS.md, Table 3) --loss margin did better"
          + " with such teachers");
    }
    List<TeacherSignal.Triplet> triplets = signal.triplets(d.queries().keySet(),
        d.documents().keySet(), sampling, topN, window, cap, t.seed);
    System.err.println(triplets.size() + " triplets from " + signal.scores().size()
        + " teacher-scored queries of " + d.name());
    DistillConfig c = new DistillConfig(loss, beta, t.steps, t.batch, t.lr, t.warmup,
        t.weightDecay, t.clip, t.maxLength, sampling, topN, window, cap, normalize, t.seed,
        t.every);
    try (Interruption stop = Interruption.register("distill")) {
      TrainLoop.Result r = new Distiller(c, Devices.best()).train(Models.load(init, layers),
          triplets, d.queries(), d.documents(), out, stop, -1);
      System.err.printf("%s after %d steps (%.0f tokens/s); %s%n",
          r.interrupted() ? "stopped" : "finished", r.steps(), r.tokensPerSecond(), r.model());
      return r.interrupted() ? 130 : 0;
    }
  }
}
