package org.disranker.pipeline;

import static org.disranker.core.metrics.Formats.num;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.disranker.core.data.Run;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.MarkdownBlocks;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.metrics.Evaluation;
import org.disranker.core.metrics.Evaluator;
import org.disranker.core.metrics.Metrics;
import org.disranker.core.metrics.Ndcg;
import org.disranker.retrieval.Bm25Index;
import org.disranker.retrieval.Bm25Searcher;

/**
 * The pipeline: the first stage on every collection (its own BM25 run, or Lucene BM25 retrieved
 * here) evaluated against its judgments, then the ranking stages of a config file ({@link
 * RankingStages}), then {@code report.md}, in a run directory with one folder and manifest per
 * stage ({@link StageRunner}).
 */
public final class Pipeline {
  /** The collections of the default run, as paths under the data folder (NFCorpus split after :). */
  public static final List<String> DEFAULT_DATASETS =
      List.of("trec-dl/dl19", "trec-dl/dl20", "cranfield", "nfcorpus:test/titles");

  static final String METRICS = "ndcg@10,ndcg@5,map,mrr@10,recall@100,pnr";

  /**
   * What to run.
   *
   * @param data the shared data folder
   * @param out the run directory
   * @param datasets first-stage collections (paths under data, NFCorpus with :split)
   * @param k BM25 depth of the first stage
   * @param results a Markdown file to record the report's sections in, or null
   * @param force redo every stage
   * @param stages first-stage and/or ranking
   * @param config the ranking stages' config file
   * @param commandLine the command that runs this, for the recorded sections
   */
  public record Options(Path data, Path out, List<String> datasets, int k, Path results,
      boolean force, List<String> stages, Path config, String commandLine) {}

  private Pipeline() {}

  /** Runs the stages; returns the report's tables (also in OUT/report.md). */
  public static String run(Options o) throws Exception {
    Path root = o.data();
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("data folder not found: " + root + " (use --data)");
    }
    for (String st : o.stages()) {
      if (!st.equals("first-stage") && !st.equals("ranking")) {
        throw new IllegalArgumentException("unknown stage '" + st + "' (first-stage, ranking)");
      }
    }
    StageRunner runner = new StageRunner(o.out(), o.force());
    List<StageRunner.Result> done = new ArrayList<>();
    for (String spec : !o.stages().contains("first-stage") ? List.<String>of() : o.datasets()) {
      String[] parts = spec.split(":", 2);
      Path dir = root.resolve(parts[0]).normalize();
      String split = parts.length > 1 ? parts[1] : null;
      String stage = "first-stage/" + parts[0].replace("trec-dl/", "")
          + (split == null ? "" : "-" + split.replace('/', '-'));
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("dataset", dir.toString());
      config.put("split", split == null ? "" : split);
      config.put("topK", o.k());
      config.put("bm25", "k1=" + Bm25Searcher.DEFAULT_K1 + ",b=" + Bm25Searcher.DEFAULT_B);
      config.put("metrics", METRICS);
      done.add(runner.run(stage, config, List.of(dir), stageDir -> firstStage(dir, split,
          o.k(), stageDir)));
    }
    String table = done.isEmpty() ? "" : reportTable(done);
    String ranking = "";
    if (o.stages().contains("ranking")) {
      if (!Files.isRegularFile(o.config())) {
        throw new IllegalArgumentException("config file not found: " + o.config()
            + " (use --config)");
      }
      ranking = new RankingStages(runner, root, o.config()).run();
    }
    String report = "# DisRanker pipeline report\n\nRun directory: `" + o.out() + "`; data: `"
        + root + "`; config: `" + o.config() + "`.\n\n" + (table.isEmpty() ? ""
        : "## First stage\n\n" + table + "\n") + (ranking.isEmpty() ? ""
        : "## Ranking: student, distillation, rerankers\n\n" + ranking);
    AtomicFiles.writeString(o.out().resolve("report.md"), report);
    System.err.println("report: " + o.out().resolve("report.md"));
    if (o.results() != null) {
      String made = "Computed " + LocalDate.now(ZoneOffset.UTC) + " by:\n\n```\n"
          + o.commandLine() + "\n```\n\n";
      if (!table.isEmpty()) {
        List<String> missing = new ArrayList<>(collections(MarkdownBlocks.read(o.results(),
            "pipeline-first-stage")));
        missing.removeAll(collections(table));
        if (missing.isEmpty()) {
          MarkdownBlocks.upsert(o.results(), "pipeline-first-stage", made + table);
        } else {
          // a run on fewer collections must not shrink the table to its own rows
          System.err.println("note: " + o.results() + "'s first-stage section also holds "
              + String.join(", ", missing) + ", which this run did not run; left as it is (run"
              + " with those collections too to refresh it)");
        }
      }
      if (!ranking.isEmpty()) {
        // one section and one set of figures per config: pipeline.json's and full.json's reports
        // sit side by side in the same results file
        String name = configName(o.config());
        MarkdownBlocks.upsert(o.results(), name + "-ranking", made
            + copyFigures(ranking, o.out(), o.results(), name));
      }
      System.err.println("recorded the report's sections in " + o.results());
    }
    return table + (ranking.isEmpty() ? "" : "\n" + ranking);
  }

  /**
   * Copies the report's plots next to the results file ({@code figures/}) and points the links
   * of the section there.
   */
  static String copyFigures(String section, Path out, Path resultsFile, String prefix) {
    Path figures = resultsFile.toAbsolutePath().getParent().resolve("figures");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\]\\(([a-z0-9-]+\\.png)\\)")
        .matcher(section);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      Path png = out.resolve(m.group(1));
      String name = prefix + "-" + m.group(1);
      AtomicFiles.writeBytes(figures.resolve(name), os -> Files.copy(png, os));
      m.appendReplacement(sb, "](figures/" + name + ")");
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** The name a config's report sections and figures go under: its file name without .json. */
  static String configName(Path config) {
    String f = config.getFileName().toString();
    return (f.endsWith(".json") ? f.substring(0, f.length() - 5) : f)
        .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
  }

  static Map<String, Object> firstStage(Path dir, String split, int k, Path stageDir) {
    Dataset d = Datasets.open(dir, split);
    Run run;
    String source;
    if (d.hasFirstStage()) {
      run = d.firstStage();
      source = "dataset's own " + run.name() + " run";
    } else {
      Path index = stageDir.resolve("index");
      Bm25Index.build(index, d.documents().values());
      try (Bm25Searcher s = new Bm25Searcher(index, Bm25Searcher.DEFAULT_K1,
          Bm25Searcher.DEFAULT_B)) {
        run = s.searchAll(d.queries(), k, "bm25");
      }
      source = "Lucene BM25 top " + k;
    }
    TrecRuns.write(stageDir.resolve("run.txt"), run, run.name());
    Evaluation e = new Evaluator(Metrics.parse(METRICS, Ndcg.Gain.LINEAR, 1), Run.Order.SCORE,
        false).evaluate(d.qrels(), run);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataset", d.name());
    m.put("firstStage", source);
    m.put("queries", e.queryIds().size());
    e.summary().forEach((name, v) -> m.put(name, Double.isFinite(v) ? v : null));
    return m;
  }

  /** The collections (first column) of a first-stage table; none for null. */
  static List<String> collections(String table) {
    List<String> names = new ArrayList<>();
    if (table == null) {
      return names;
    }
    for (String line : table.split("\n")) {
      if (line.startsWith("| ") && !line.startsWith("| collection |")) {
        names.add(line.substring(2, line.indexOf(" |", 2)));
      }
    }
    return names;
  }

  static String reportTable(List<StageRunner.Result> results) {
    List<String> metrics = List.of(METRICS.split(","));
    StringBuilder sb = new StringBuilder("| collection | first stage | queries |");
    metrics.forEach(x -> sb.append(' ').append(x).append(" |"));
    sb.append("\n|---|---|---:|");
    metrics.forEach(x -> sb.append("---:|"));
    sb.append('\n');
    for (StageRunner.Result r : results) {
      var m = r.metrics();
      sb.append("| ").append(m.path("dataset").asText()).append(" | ")
          .append(m.path("firstStage").asText()).append(" | ").append(m.path("queries").asInt())
          .append(" |");
      for (String x : metrics) {
        var v = m.path(x);
        sb.append(' ').append(v.isNumber() ? num(v.asDouble()) : "n/a").append(" |");
      }
      sb.append('\n');
    }
    sb.append("\nMetrics by trec_eval conventions (linear gain, relevance threshold 1 for MAP, MRR"
        + " and recall); PNR pooled over all pairs.\n");
    return sb.toString();
  }

}
