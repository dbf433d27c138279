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
import org.disranker.cli.pipeline.StageRunner;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code disranker pipeline}: runs every stage built so far on the shared data, into a run
 * directory with one folder and manifest per stage, and writes a report. Today's stages are the
 * evaluation backbone: for each collection, its first-stage run (TREC DL's own BM25 run, or Lucene
 * BM25 retrieved here) evaluated against its judgments.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Run the pipeline on the shared data: first-stage retrieval and evaluation per collection;"
          + " then the ranking stages of config/pipeline.json (student fine-tuning, distillation"
          + " from the configured teacher, ONNX export, reranking, evaluation); then report.md."
          + " Finished stages whose config and inputs did not change are skipped; a stage"
          + " interrupted midway is redone."
    })
public final class PipelineCommand implements Callable<Integer> {
  /** The collections of the default run, as paths under the data folder (NFCorpus split after :). */
  static final List<String> DEFAULT_DATASETS =
      List.of("trec-dl/dl19", "trec-dl/dl20", "cranfield", "nfcorpus:test/titles");

  static final String METRICS = "ndcg@10,ndcg@5,map,mrr@10,recall@100,pnr";

  @Option(names = "--data", paramLabel = "DIR",
      description = "Shared data folder (default: ../shared/data from here or above)")
  Path data;

  @Option(names = "--out", defaultValue = "runs/pipeline", paramLabel = "DIR",
      description = "Run directory (default ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--datasets", split = ",", paramLabel = "NAME",
      description = "Collections to run, as paths under --data, NFCorpus with :split"
          + " (default trec-dl/dl19,trec-dl/dl20,cranfield,nfcorpus:test/titles)")
  List<String> datasets;

  @Option(names = {"-k", "--top-k"}, defaultValue = "1000",
      description = "Documents BM25 retrieves per query (default ${DEFAULT-VALUE})")
  int k;

  @Option(names = "--results", paramLabel = "FILE",
      description = "Also write the report table into a section of this Markdown file"
          + " (e.g. docs/RESULTS.md)")
  Path results;

  @Option(names = "--force", description = "Redo every stage even if up to date")
  boolean force;

  @Option(names = "--stages", split = ",", defaultValue = "first-stage,ranking",
      description = "first-stage (BM25 and evaluation per collection) and/or ranking (student"
          + " fine-tuning, distillation from the configured teacher, reranking, evaluation);"
          + " default ${DEFAULT-VALUE}")
  List<String> stages;

  @Option(names = "--config", defaultValue = "config/pipeline.json", paramLabel = "FILE",
      description = "Settings of the ranking stages (default ${DEFAULT-VALUE})")
  Path config;

  @Override
  public Integer call() throws Exception {
    Path root = data != null ? data : Datasets.dataRoot();
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("data folder not found: " + root + " (use --data)");
    }
    for (String st : stages) {
      if (!st.equals("first-stage") && !st.equals("ranking")) {
        throw new IllegalArgumentException("unknown stage '" + st + "' (first-stage, ranking)");
      }
    }
    StageRunner runner = new StageRunner(out, force);
    List<StageRunner.Result> done = new ArrayList<>();
    for (String spec : !stages.contains("first-stage") ? List.<String>of()
        : datasets != null ? datasets : DEFAULT_DATASETS) {
      String[] parts = spec.split(":", 2);
      Path dir = root.resolve(parts[0]).normalize();
      String split = parts.length > 1 ? parts[1] : null;
      String stage = "first-stage/" + parts[0].replace("trec-dl/", "")
          + (split == null ? "" : "-" + split.replace('/', '-'));
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("dataset", dir.toString());
      config.put("split", split == null ? "" : split);
      config.put("topK", k);
      config.put("bm25", "k1=" + Bm25Searcher.DEFAULT_K1 + ",b=" + Bm25Searcher.DEFAULT_B);
      config.put("metrics", METRICS);
      done.add(runner.run(stage, config, List.of(dir), stageDir -> firstStage(dir, split,
          stageDir)));
    }
    String table = done.isEmpty() ? "" : reportTable(done);
    String ranking = "";
    if (stages.contains("ranking")) {
      if (!Files.isRegularFile(config)) {
        throw new IllegalArgumentException("config file not found: " + config + " (use --config)");
      }
      ranking = new org.disranker.cli.pipeline.RankingStages(runner, root, config).run();
    }
    String report = "# DisRanker pipeline report\n\nRun directory: `" + out + "`; data: `" + root
        + "`; config: `" + config + "`.\n\n" + (table.isEmpty() ? "" : "## First stage\n\n"
        + table + "\n") + (ranking.isEmpty() ? "" : "## Ranking: student, distillation,"
        + " rerankers\n\n" + ranking);
    AtomicFiles.writeString(out.resolve("report.md"), report);
    System.out.print(table + (ranking.isEmpty() ? "" : "\n" + ranking));
    System.err.println("report: " + out.resolve("report.md"));
    if (results != null) {
      if (!table.isEmpty()) {
        MarkdownBlocks.upsert(results, "pipeline-first-stage", "Computed "
            + LocalDate.now(ZoneOffset.UTC) + " by:\n\n```\n" + Main.commandLine()
            + "\n```\n\n" + table);
      }
      if (!ranking.isEmpty()) {
        MarkdownBlocks.upsert(results, "pipeline-ranking", "Computed "
            + LocalDate.now(ZoneOffset.UTC) + " by:\n\n```\n" + Main.commandLine()
            + "\n```\n\n" + copyFigures(ranking, results));
      }
      System.err.println("recorded section 'pipeline-first-stage' in " + results);
    }
    return 0;
  }

  /**
   * Copies the report's plots next to the results file ({@code figures/}) and points the links
   * of the section there.
   */
  private String copyFigures(String section, Path resultsFile) {
    Path figures = resultsFile.toAbsolutePath().getParent().resolve("figures");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\]\\(([a-z0-9-]+\\.png)\\)")
        .matcher(section);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      Path png = out.resolve(m.group(1));
      AtomicFiles.writeBytes(figures.resolve(m.group(1)), os -> Files.copy(png, os));
      m.appendReplacement(sb, "](figures/" + m.group(1) + ")");
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private Map<String, Object> firstStage(Path dir, String split, Path stageDir) {
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
        sb.append(' ').append(v.isNumber() ? EvalTables.num(v.asDouble()) : "n/a").append(" |");
      }
      sb.append('\n');
    }
    sb.append("\nMetrics by trec_eval conventions (linear gain, relevance threshold 1 for MAP, MRR"
        + " and recall); PNR pooled over all pairs.\n");
    return sb.toString();
  }
}
