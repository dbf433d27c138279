package org.disranker.cli;

import static org.disranker.core.metrics.Formats.num;
import static org.disranker.core.metrics.Formats.pValue;
import static org.disranker.core.metrics.Formats.signed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.disranker.core.metrics.Comparison;
import org.disranker.core.metrics.Evaluation;

/** Formats evaluations and comparisons as a console table, a Markdown table and JSON. */
final class EvalTables {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private EvalTables() {}

  /** A named evaluation with its comparison against the baseline, if any. */
  record Row(String name, Evaluation eval, List<Comparison> vsBaseline, String baselineName) {}

  /** Runs as rows (name last, since names run long), metrics as columns; then comparisons. */
  static String console(List<Row> rows, List<String> metrics) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%8s", "queries"));
    for (String m : metrics) {
      sb.append(padLeft(m, Math.max(9, m.length() + 2)));
    }
    sb.append("  run\n");
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "%8d", r.eval().queryIds().size()));
      for (String m : metrics) {
        sb.append(padLeft(num(r.eval().value(m)), Math.max(9, m.length() + 2)));
      }
      sb.append("  ").append(r.name()).append('\n');
    }
    int w0 = Math.max(10, metrics.stream().mapToInt(String::length).max().orElse(0) + 2);
    for (Row r : rows) {
      if (r.vsBaseline().isEmpty()) {
        continue;
      }
      sb.append('\n').append(r.name()).append("\n  against ").append(r.baselineName())
          .append(" (per-query means over the queries both runs define)\n");
      sb.append(String.format(Locale.ROOT, "%-" + w0 + "s%8s%9s%9s%9s%12s%9s%10s%10s%n", "metric",
          "queries", "run", "base", "delta", "G/S/B", "dGSB", "p(t)", "p(rand)"));
      for (Comparison c : r.vsBaseline()) {
        sb.append(String.format(Locale.ROOT, "%-" + w0 + "s%8d%9s%9s%9s%12s%9s%10s%10s%n",
            c.metric(), c.queries(), num(c.runMean()), num(c.baselineMean()), signed(c.delta()),
            c.good() + "/" + c.same() + "/" + c.bad(), signed(c.deltaGsb()), pValue(c.tTestP()),
            pValue(c.randomizationP())));
      }
    }
    return sb.toString();
  }

  /** Runs as rows, metrics as columns, then one comparison table per compared run. */
  static String markdown(List<Row> rows, List<String> metrics) {
    StringBuilder sb = new StringBuilder();
    sb.append("| run | queries |");
    metrics.forEach(m -> sb.append(' ').append(m).append(" |"));
    sb.append("\n|---|---:|");
    metrics.forEach(m -> sb.append("---:|"));
    sb.append('\n');
    for (Row r : rows) {
      sb.append("| ").append(r.name()).append(" | ").append(r.eval().queryIds().size()).append(" |");
      for (String m : metrics) {
        sb.append(' ').append(num(r.eval().value(m))).append(" |");
      }
      sb.append('\n');
    }
    for (Row r : rows) {
      if (r.vsBaseline().isEmpty()) {
        continue;
      }
      sb.append("\n").append(r.name()).append(" against ").append(r.baselineName())
          .append(" (per-query means over the queries both runs define):\n\n| metric | queries | run | baseline | delta | G/S/B | ΔGSB | p (t-test) |"
              + " p (randomization) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Comparison c : r.vsBaseline()) {
        sb.append("| ").append(c.metric()).append(" | ").append(c.queries()).append(" | ")
            .append(num(c.runMean())).append(" | ")
            .append(num(c.baselineMean())).append(" | ").append(signed(c.delta())).append(" | ")
            .append(c.good()).append('/').append(c.same()).append('/').append(c.bad())
            .append(" | ").append(signed(c.deltaGsb())).append(" | ").append(pValue(c.tTestP()))
            .append(" | ").append(pValue(c.randomizationP())).append(" |\n");
      }
    }
    return sb.toString();
  }

  static Object jsonNumber(double v) {
    return Double.isFinite(v) ? (Object) v : num(v);
  }

  static ObjectNode json(List<Row> rows, Map<String, Object> settings, boolean perQuery) {
    ObjectNode root = JSON.createObjectNode();
    root.set("settings", JSON.valueToTree(settings));
    ArrayNode runs = root.putArray("runs");
    for (Row r : rows) {
      ObjectNode o = runs.addObject();
      o.put("name", r.name());
      o.put("queries", r.eval().queryIds().size());
      ObjectNode s = o.putObject("summary");
      r.eval().summary().forEach((m, v) -> s.set(m, JSON.valueToTree(jsonNumber(v))));
      if (perQuery) {
        ObjectNode pq = o.putObject("perQuery");
        r.eval().perQuery().forEach((m, byQ) -> {
          ObjectNode mq = pq.putObject(m);
          byQ.forEach((q, v) -> mq.set(q, JSON.valueToTree(jsonNumber(v))));
        });
      }
      if (!r.vsBaseline().isEmpty()) {
        ObjectNode cmp = o.putObject("comparison");
        cmp.put("baseline", r.baselineName());
        for (Comparison c : r.vsBaseline()) {
          ObjectNode co = cmp.putObject(c.metric());
          co.put("queries", c.queries());
          co.set("run", JSON.valueToTree(jsonNumber(c.runMean())));
          co.set("baseline", JSON.valueToTree(jsonNumber(c.baselineMean())));
          co.put("good", c.good());
          co.put("same", c.same());
          co.put("bad", c.bad());
          co.set("deltaGsb", JSON.valueToTree(jsonNumber(c.deltaGsb())));
          co.set("pTTest", JSON.valueToTree(jsonNumber(c.tTestP())));
          co.set("pRandomization", JSON.valueToTree(jsonNumber(c.randomizationP())));
        }
      }
    }
    return root;
  }

  static String pad(String s, int w) {
    return s.length() >= w ? s + " " : s + " ".repeat(w - s.length());
  }

  static String padLeft(String s, int w) {
    return s.length() >= w ? " " + s : " ".repeat(w - s.length()) + s;
  }
}
