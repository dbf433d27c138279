package org.disranker.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.TrecQrels;
import org.disranker.core.io.TrecRuns;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker data}: look into a dataset and export its parts in TREC formats. */
@Command(name = "data", mixinStandardHelpOptions = true,
    description = "Inspect a dataset and export its qrels or first-stage run.",
    subcommands = {DataCommand.Stats.class, DataCommand.ExportRun.class,
        DataCommand.ExportQrels.class})
public final class DataCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Counts of a dataset. */
  @Command(name = "stats", mixinStandardHelpOptions = true,
      description = "Print the size of a dataset: queries, documents, judgments, first stage.")
  static final class Stats implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Override
    public Integer call() {
      Dataset d = data.open();
      int[] grades = new int[16];
      int other = 0;
      for (String q : d.qrels().queryIds()) {
        for (int g : d.qrels().judgments(q).values()) {
          if (g >= 0 && g < grades.length) {
            grades[g]++;
          } else {
            other++;
          }
        }
      }
      StringBuilder dist = new StringBuilder();
      for (int g = 0; g < grades.length; g++) {
        if (grades[g] > 0) {
          dist.append(dist.length() == 0 ? "" : " ").append(g).append(':').append(grades[g]);
        }
      }
      System.out.println("dataset      " + d.name());
      System.out.println("queries      " + d.queries().size());
      System.out.println("documents    " + d.documents().size());
      System.out.println("judged       " + d.qrels().size() + " pairs over "
          + d.qrels().queryIds().size() + " queries (" + dist + (other > 0 ? " other:" + other : "")
          + ")");
      System.out.println("first stage  " + (d.hasFirstStage() ? d.firstStage().name() + ", "
          + d.firstStage().size() + " pairs" : "none (use 'disranker bm25')"));
      if (!d.pool().isEmpty()) {
        System.out.println("pool         " + d.pool().values().stream().mapToInt(List::size).sum()
            + " candidate pairs");
      }
      System.out.println("notes        " + d.notes());
      return 0;
    }
  }

  /** Writes the dataset's own first-stage run. */
  @Command(name = "export-run", mixinStandardHelpOptions = true,
      description = "Write the dataset's first-stage run (TREC DL: the BM25 rows of"
          + " candidates.tsv) as a TREC run file.")
  static final class ExportRun implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
        description = "Run file to write")
    Path output;

    @Override
    public Integer call() {
      Dataset d = data.open();
      if (!d.hasFirstStage()) {
        throw new IllegalArgumentException("dataset " + d.name()
            + " has no first-stage run; retrieve one with 'disranker bm25 search'");
      }
      TrecRuns.write(output, d.firstStage(), d.firstStage().name());
      System.err.println("wrote " + d.firstStage().size() + " lines to " + output);
      return 0;
    }
  }

  /** Writes the dataset's judgments as TREC qrels (after any grade mapping). */
  @Command(name = "export-qrels", mixinStandardHelpOptions = true,
      description = "Write the dataset's judgments as a TREC qrels file (grades as mapped by the"
          + " reader, e.g. Cranfield 1->4 .. 4->1).")
  static final class ExportQrels implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
        description = "Qrels file to write")
    Path output;

    @Override
    public Integer call() {
      Dataset d = data.open();
      TrecQrels.write(output, d.qrels());
      System.err.println("wrote " + d.qrels().size() + " judgments to " + output);
      return 0;
    }
  }
}
