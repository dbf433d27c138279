package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.disranker.core.data.Run;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.metrics.Comparison;
import org.disranker.core.metrics.Evaluation;
import org.disranker.core.metrics.Evaluator;
import org.disranker.core.metrics.Formats;
import org.disranker.core.metrics.Metrics;
import org.disranker.core.metrics.Ndcg;

/**
 * The report of the ranking stages: the test collection's table, ΔGSB and p-values against the
 * baselines, the sources and phases, the learning curve, the losses and the score distributions
 * (the paper's Figure 4), the plots beside it in the run directory.
 */
final class Report extends StageContext {
  Report(StageContext c) {
    super(c);
  }

  static final String METRICS = "ndcg@10,ndcg@5,pnr,judged@10";

  /** The report section: the test table, ΔGSB and p-values, the sources, phases and figures. */
  String write(Path testDir, RerankStage.Outputs rr, java.util.Set<String> teacherModels,
      StageRunner.Result pool, Map<String, ListSources.ListSource> lists,
      List<StageRunner.Result> phases, StageRunner.Result ft, TeacherStages.Outputs decoder) {
    Dataset test = Datasets.open(testDir, null);
    Evaluator ev = new Evaluator(Metrics.parse(METRICS, Ndcg.Gain.LINEAR, 1), Run.Order.SCORE,
        false);
    Map<String, Path> runs = new LinkedHashMap<>();
    runs.put("BM25", rr.baselines().resolve("bm25.run"));
    runs.put("zero-shot MiniLM (bi-encoder)", rr.baselines().resolve("minilm-zero-shot.run"));
    for (String t : teacherModels) {
      if (!t.equals("minilm")) {
        runs.put("teacher " + t + " (zero-shot bi-encoder)", rr.baselines().resolve(t
            + "-zero-shot.run"));
      }
    }
    if (decoder != null) {
      if (decoder.scoresWithoutCpt() != null) {
        runs.put("decoder teacher without CPT", decoder.scoresWithoutCpt().resolve("test.run"));
      }
      runs.put("decoder teacher (CPT + SFT)", decoder.scores().resolve("test.run"));
    }
    if (ft != null) {
      runs.put("student fine-tuned on labels", rr.students().resolve("finetuned.run"));
    }
    runs.put("final student (distilled), fp32", rr.students().resolve("student.run"));
    runs.put("final student (distilled), int8", rr.students().resolve("student-int8.run"));
    Map<String, Run> read = new LinkedHashMap<>();
    runs.forEach((name, f) -> read.put(name, TrecRuns.read(f)));
    Map<String, Evaluation> evals = new LinkedHashMap<>();
    read.forEach((name, r) -> evals.put(name, ev.evaluate(test.qrels(), r)));
    JsonNode llm = cfg.get("testLlmRun");
    if (llm != null) {
      evals.put("LLM reranker (RankVicuna-7B, evaluation row)", new Evaluator(Metrics.parse(
          METRICS, Ndcg.Gain.LINEAR, 1), Run.Order.RANK, false).evaluate(test.qrels(),
          TrecRuns.read(dataPath(llm.asText()))));
    }
    String testName = testDir.getFileName().toString();
    StringBuilder sb = new StringBuilder(report(evals, testName));
    sb.append(String.format(Locale.ROOT, "%n%s. Distillation: %s.%n",
        sourceSummary(pool, lists), phaseSummary(phases)));
    if (decoder != null) {
      JsonNode c = decoder.cptMetrics();
      sb.append(String.format(Locale.ROOT, "%nDecoder teacher CPT on %d simulated click records:"
          + " held-out perplexity %.1f before, %.1f after.%n", c.path("clickRecords").asInt(),
          c.path("heldOutPerplexityBefore").asDouble(), c.path("heldOutPerplexityAfter")
          .asDouble()));
    }
    sb.append(figures(read, teacherModels, phases, ft, decoder));
    return sb.toString();
  }

  static String sourceSummary(StageRunner.Result pool,
      Map<String, ListSources.ListSource> lists) {
    List<String> parts = new ArrayList<>();
    if (pool != null) {
      JsonNode m = pool.metrics();
      parts.add(String.format(Locale.ROOT, "The pool: %d queries, %d pairs over %d passages (%d"
          + " queries and %d passages of the test collection kept out)", m.path("queries").asInt(),
          m.path("pairs").asInt(), m.path("passages").asInt(), m.path("excludedQueries").asInt(),
          m.path("excludedPassages").asInt()));
    }
    lists.values().forEach(l -> parts.add(String.format(Locale.ROOT, "The lists '%s': %d queries"
        + " of %s, %d pairs, %d teacher%s", l.name(), l.pairs().size(), l.dataset().getFileName(),
        l.pairCount(), l.parts().size(), l.parts().size() == 1 ? "" : "s")));
    return String.join(". ", parts);
  }

  static String phaseSummary(List<StageRunner.Result> phases) {
    List<String> parts = new ArrayList<>();
    for (StageRunner.Result r : phases) {
      JsonNode m = r.metrics();
      List<String> from = new ArrayList<>();
      m.path("sources").fields().forEachRemaining(e -> from.add(String.format(Locale.ROOT,
          "%s %d queries x%d", e.getKey(), e.getValue().path("queries").asInt(),
          e.getValue().path("repeat").asInt())));
      parts.add(String.format(Locale.ROOT, "%s: %d steps, %d pairs seen%s, %.1fM tokens, %.0f"
          + " tokens/s, %.0f s", r.name(), m.path("steps").asInt(), m.path("pairsSeen").asLong(),
          from.isEmpty() ? "" : " (from " + String.join(", ", from) + ")",
          m.path("tokens").asLong() / 1e6, m.path("tokensPerSecond").asDouble(), r.seconds()));
    }
    return String.join("; ", parts);
  }

  static String report(Map<String, Evaluation> evals, String test) {
    List<String> metrics = List.of(METRICS.split(","));
    StringBuilder sb = new StringBuilder("| " + test + " ranker | queries |");
    metrics.forEach(x -> sb.append(' ').append(x).append(" |"));
    sb.append("\n|---|---:|");
    metrics.forEach(x -> sb.append("---:|"));
    sb.append('\n');
    evals.forEach((name, e) -> {
      sb.append("| ").append(name).append(" | ").append(e.queryIds().size()).append(" |");
      for (String x : metrics) {
        sb.append(' ').append(Formats.num(e.value(x))).append(" |");
      }
      sb.append('\n');
    });
    for (String base : List.of("zero-shot MiniLM (bi-encoder)", "student fine-tuned on labels")) {
      Evaluation b = evals.get(base);
      if (b == null) {
        continue;
      }
      sb.append("\nAgainst ").append(base).append(" (ΔGSB on nDCG@10, paired tests):\n\n"
          + "| ranker | nDCG@10 delta | G/S/B | ΔGSB | p (t-test) | p (randomization) |\n"
          + "|---|---:|---:|---:|---:|---:|\n");
      evals.forEach((name, e) -> {
        if (e == b) {
          return;
        }
        Comparison c = Comparison.of(e, b, "ndcg@10", 10000, 42);
        sb.append("| ").append(name).append(" | ").append(Formats.signed(
            c.delta())).append(" | ").append(c.good()).append('/').append(c.same()).append('/')
            .append(c.bad()).append(" | ").append(Formats.signed(
            c.deltaGsb())).append(" | ").append(Formats.pValue(c.tTestP())).append(" | ")
            .append(Formats.pValue(c.randomizationP())).append(" |\n");
      });
    }
    return sb.toString();
  }

  /**
   * The report's plots, next to it in the run directory: the learning curve on the validation
   * collection, the training losses, and the score distributions on the test pairs of a teacher,
   * the distilled and the fine-tuned student (the paper's Figure 4).
   */
  String figures(Map<String, Run> runs, java.util.Set<String> teachers,
      List<StageRunner.Result> phases, StageRunner.Result ft, TeacherStages.Outputs decoder) {
    Path out = runner.runDir();
    StringBuilder sb = new StringBuilder();
    Map<String, Path> curves = new LinkedHashMap<>();
    Map<String, Path> losses = new LinkedHashMap<>();
    for (StageRunner.Result ph : phases) {
      if (Files.isRegularFile(ph.dir().resolve("validation.tsv"))) {
        curves.put(ph.name(), ph.dir().resolve("validation.tsv"));
      }
      losses.put(ph.name(), ph.dir().resolve("loss.tsv"));
    }
    if (ft != null) {
      losses.put("student/finetune (labels, margin)", ft.dir().resolve("loss.tsv"));
    }
    if (!curves.isEmpty()) {
      Plots.learningCurves("Student learning curve (validation nDCG@10)", "ndcg@10", curves,
          out.resolve("learning-curve.png"));
      sb.append("\n### Learning curve\n\n![learning curve](learning-curve.png)\n");
    }
    Plots.lossCurves("Student training loss", losses, 20, out.resolve("loss-students.png"));
    sb.append("\n### Training loss\n\n![student losses](loss-students.png)\n");
    sb.append("\n### Score distributions on the test pairs (Figure 4)\n\n");
    Map<String, String> shown = new LinkedHashMap<>();
    String teacher = teachers.stream().filter(t -> !t.equals("minilm")).findFirst()
        .map(t -> "teacher " + t + " (zero-shot bi-encoder)").orElse(
            "zero-shot MiniLM (bi-encoder)");
    shown.put(teacher, "scores-teacher.png");
    shown.put("final student (distilled), fp32", "scores-distilled.png");
    if (ft != null) {
      shown.put("student fine-tuned on labels", "scores-finetuned.png");
    }
    if (decoder != null) {
      shown.put("decoder teacher (CPT + SFT)", "scores-decoder-teacher.png");
    }
    shown.forEach((name, png) -> {
      Run r = runs.get(name);
      float[] s = new float[r.size()];
      int[] i = {0};
      r.queryIds().forEach(q -> r.get(q).forEach(x -> s[i[0]++] = (float) x.score()));
      Plots.scoreHistogram(name, s, out.resolve(png));
      sb.append("![").append(name).append("](").append(png).append(")\n");
    });
    if (decoder != null) {
      Plots.lossCurves("Decoder teacher continued pre-training (LM loss)", Map.of("CPT",
          decoder.cpt().resolve("loss.tsv")), 10, out.resolve("loss-teacher-cpt.png"));
      Map<String, Path> sft = new LinkedHashMap<>();
      sft.put("SFT after CPT", decoder.sft().resolve("loss.tsv"));
      if (decoder.sftWithoutCpt() != null) {
        sft.put("SFT without CPT", decoder.sftWithoutCpt().resolve("loss.tsv"));
      }
      Plots.lossCurves("Decoder teacher fine-tuning (margin loss)", sft, 10,
          out.resolve("loss-teacher-sft.png"));
      sb.append("\n![teacher CPT loss](loss-teacher-cpt.png)\n![teacher SFT loss]"
          + "(loss-teacher-sft.png)\n");
    }
    return sb.toString();
  }
}
