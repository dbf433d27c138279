package org.disranker.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Run;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.MarkdownBlocks;
import org.disranker.core.io.TrecQrels;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.metrics.Comparison;
import org.disranker.core.metrics.Evaluation;
import org.disranker.core.metrics.Evaluator;
import org.disranker.core.metrics.Metric;
import org.disranker.core.metrics.Metrics;
import org.disranker.core.metrics.Ndcg;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker eval}: metrics of runs, and ΔGSB with significance tests between runs. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Evaluate TREC runs against qrels (trec_eval conventions: score descending, ties by docid"
          + " descending; queries judged and present in the run).",
      "With a baseline (or exactly two runs, the second taken as baseline) it also reports"
          + " ΔGSB and paired t-test and randomization-test p-values per metric."
    })
public final class EvalCommand implements Callable<Integer> {
  @Option(names = "--qrels", paramLabel = "FILE", description = "TREC qrels file")
  Path qrelsFile;

  @Mixin DatasetOptions data;

  @Option(names = {"-r", "--run"}, required = true, paramLabel = "[NAME=]FILE",
      description = "TREC run file, optionally named for the tables (NAME=FILE); repeat for"
          + " several runs")
  List<String> runs;

  @Option(names = {"-b", "--baseline"}, paramLabel = "[NAME=]FILE",
      description = "Baseline run that every run is compared against")
  String baseline;

  /** A run file and the name it has in the tables (its file name unless given). */
  record NamedRun(String name, Path file) {
    static NamedRun parse(String arg) {
      int eq = arg.indexOf('=');
      if (eq > 0 && !Files.exists(Path.of(arg)) && !arg.substring(0, eq).contains("/")) {
        return new NamedRun(arg.substring(0, eq), Path.of(arg.substring(eq + 1)));
      }
      Path f = Path.of(arg);
      return new NamedRun(f.getFileName().toString(), f);
    }
  }

  @Option(names = {"-m", "--metrics"}, defaultValue = Metrics.DEFAULTS,
      description = "Comma-separated metrics (default ${DEFAULT-VALUE}); also mrr, map@K")
  String metrics;

  @Option(names = "--gain", defaultValue = "linear",
      description = "nDCG gain: linear (trec_eval) or exponential (2^g-1); default ${DEFAULT-VALUE}")
  String gain;

  @Option(names = "--rel-threshold", defaultValue = "1",
      description = "Lowest grade that is relevant for MRR, MAP and recall (default"
          + " ${DEFAULT-VALUE}; TREC DL passage convention: 2)")
  int relThreshold;

  @Option(names = "--order", defaultValue = "score",
      description = "score: trec_eval order; rank: trust the rank column (for runs whose score"
          + " column is not the ranker's). Default ${DEFAULT-VALUE}")
  String order;

  @Option(names = {"-c", "--complete"},
      description = "Average over every judged query, a query missing from a run scoring 0"
          + " (trec_eval -c)")
  boolean complete;

  @Option(names = "--allow-unknown-queries",
      description = "Skip run lines of queries without judgments instead of failing")
  boolean allowUnknownQueries;

  @Option(names = "--trials", defaultValue = "10000",
      description = "Randomization test trials (default ${DEFAULT-VALUE})")
  int trials;

  @Option(names = "--seed", defaultValue = "42", description = "Randomization test seed")
  long seed;

  @Option(names = "--per-query", description = "Also print per-query values")
  boolean perQuery;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Write summary, per-query values and comparisons as JSON")
  Path json;

  @Option(names = "--record", paramLabel = "FILE",
      description = "Write the table, with this command line, into a section of a Markdown file"
          + " (e.g. docs/RESULTS.md)")
  Path record;

  @Option(names = "--record-name", paramLabel = "NAME",
      description = "Section name for --record (default: the first run's file name)")
  String recordName;

  @Option(names = "--title", description = "Heading of the --record section")
  String title;

  @Override
  public Integer call() {
    Qrels qrels = loadQrels();
    Ndcg.Gain g = switch (gain.toLowerCase()) {
      case "linear" -> Ndcg.Gain.LINEAR;
      case "exponential", "exp" -> Ndcg.Gain.EXPONENTIAL;
      default -> throw new IllegalArgumentException("--gain must be linear or exponential");
    };
    Run.Order o = switch (order.toLowerCase()) {
      case "score" -> Run.Order.SCORE;
      case "rank" -> Run.Order.RANK;
      default -> throw new IllegalArgumentException("--order must be score or rank");
    };
    List<Metric> ms = Metrics.parse(metrics, g, relThreshold);
    Evaluator evaluator = new Evaluator(ms, o, complete);
    Predicate<String> known = allowUnknownQueries ? q -> true : qrels::hasQuery;

    List<NamedRun> files = new ArrayList<>(runs.stream().map(NamedRun::parse).toList());
    NamedRun base = baseline == null ? null : NamedRun.parse(baseline);
    if (base == null && files.size() == 2) {
      base = files.remove(1);
    }
    Evaluation baseEval = null;
    if (base != null) {
      baseEval = evaluator.evaluate(qrels, TrecRuns.read(base.file(), known));
    }
    List<String> metricNames = ms.stream().map(Metric::name).toList();
    List<EvalTables.Row> rows = new ArrayList<>();
    for (NamedRun f : files) {
      Evaluation e = evaluator.evaluate(qrels, TrecRuns.read(f.file(), known));
      List<Comparison> cmp = new ArrayList<>();
      if (baseEval != null) {
        for (String m : metricNames) {
          cmp.add(Comparison.of(e, baseEval, m, trials, seed));
        }
      }
      rows.add(new EvalTables.Row(f.name(), e, cmp, base == null ? null : base.name()));
    }
    if (baseEval != null) {
      rows.add(new EvalTables.Row(base.name(), baseEval, List.of(), null));
    }

    System.out.print(EvalTables.console(rows, metricNames));
    if (perQuery) {
      for (EvalTables.Row r : rows) {
        System.out.println("\nper query: " + r.name());
        for (String q : r.eval().queryIds()) {
          StringBuilder sb = new StringBuilder(EvalTables.pad(q, 12));
          for (String m : metricNames) {
            sb.append(' ').append(m).append('=')
                .append(org.disranker.core.metrics.Formats.num(r.eval().perQuery().get(m).get(q)));
          }
          System.out.println(sb);
        }
      }
    }
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("qrels", qrelsFile != null ? qrelsFile.toString() : data.dataset.toString());
    settings.put("gain", g.name().toLowerCase());
    settings.put("relThreshold", relThreshold);
    settings.put("order", o.name().toLowerCase());
    settings.put("complete", complete);
    settings.put("trials", trials);
    settings.put("seed", seed);
    settings.put("command", Main.commandLine());
    if (json != null) {
      String text = EvalTables.json(rows, settings, true).toPrettyString() + "\n";
      AtomicFiles.writeString(json, text);
    }
    if (record != null) {
      String name = recordName != null ? recordName
          : files.get(0).name().replaceAll("[^A-Za-z0-9._/-]", "-");
      StringBuilder md = new StringBuilder();
      if (title != null) {
        md.append("### ").append(title).append("\n\n");
      }
      md.append("Computed ").append(LocalDate.now(ZoneOffset.UTC)).append(" by:\n\n```\n")
          .append(Main.commandLine()).append("\n```\n\n");
      md.append(EvalTables.markdown(rows, metricNames));
      MarkdownBlocks.upsert(record, name, md.toString());
      System.err.println("recorded section '" + name + "' in " + record);
    }
    return 0;
  }

  private Qrels loadQrels() {
    if ((qrelsFile == null) == (data.dataset == null)) {
      throw new IllegalArgumentException("give exactly one of --qrels FILE or --dataset DIR");
    }
    if (qrelsFile != null) {
      return TrecQrels.read(qrelsFile);
    }
    Dataset d = data.open();
    if (d.qrels().isEmpty()) {
      throw new IllegalArgumentException("dataset " + d.name() + " has no judgments");
    }
    return d.qrels();
  }
}
