package org.disranker.cli;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.io.MarkdownBlocks;
import org.disranker.core.io.TrecRuns;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code disranker diff-runs}: how far the scores of two runs of the same pairs are apart. */
@Command(name = "diff-runs", mixinStandardHelpOptions = true,
    description = "Compare the scores two runs give the same (query, document) pairs, e.g. an"
        + " int8 model against its fp32 original: max and mean absolute difference, and the mean"
        + " per-query Kendall tau of the two orders.")
public final class DiffRunsCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_A") Path a;

  @Parameters(index = "1", paramLabel = "RUN_B") Path b;

  @Option(names = "--record", paramLabel = "FILE", description = "Markdown file to write into")
  Path record;

  @Option(names = "--record-name", defaultValue = "diff-runs", description = "Section name")
  String recordName;

  @Override
  public Integer call() {
    Run ra = TrecRuns.read(a);
    Run rb = TrecRuns.read(b);
    long n = 0;
    double max = 0;
    double sum = 0;
    double tauSum = 0;
    int tauQueries = 0;
    for (String q : ra.queryIds()) {
      Map<String, Double> sb = new HashMap<>();
      rb.get(q).forEach(x -> sb.put(x.docid(), x.score()));
      List<ScoredDoc> common = ra.get(q).stream().filter(x -> sb.containsKey(x.docid())).toList();
      for (ScoredDoc x : common) {
        double dlt = Math.abs(x.score() - sb.get(x.docid()));
        max = Math.max(max, dlt);
        sum += dlt;
        n++;
      }
      if (common.size() >= 2) {
        long conc = 0;
        long disc = 0;
        for (int i = 0; i < common.size(); i++) {
          for (int j = i + 1; j < common.size(); j++) {
            double da = common.get(i).score() - common.get(j).score();
            double db = sb.get(common.get(i).docid()) - sb.get(common.get(j).docid());
            if (da * db > 0) {
              conc++;
            } else if (da * db < 0) {
              disc++;
            }
          }
        }
        long pairs = (long) common.size() * (common.size() - 1) / 2;
        tauSum += (double) (conc - disc) / pairs;
        tauQueries++;
      }
    }
    if (n == 0) {
      throw new IllegalArgumentException("the runs share no (query, document) pair");
    }
    String table = String.format(Locale.ROOT, "| runs | pairs | max abs diff | mean abs diff |"
        + " mean Kendall tau |%n|---|---:|---:|---:|---:|%n| %s vs %s | %d | %.4g | %.4g |"
        + " %.4f |%n", a.getFileName(), b.getFileName(), n, max, sum / n,
        tauQueries == 0 ? Double.NaN : tauSum / tauQueries);
    System.out.print(table);
    if (record != null) {
      MarkdownBlocks.upsert(record, recordName, "Computed " + LocalDate.now(ZoneOffset.UTC)
          + " by:\n\n```\n" + Main.commandLine() + "\n```\n\n" + table);
    }
    return 0;
  }
}
