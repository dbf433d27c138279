package org.disranker.core.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses metric names: {@code ndcg@K}, {@code mrr@K} or {@code mrr}, {@code map} or {@code map@K},
 * {@code recall@K}, {@code judged@K}, {@code pnr}, {@code pnr-mean}, {@code pnr-ties}.
 */
public final class Metrics {
  /** The metrics reported when none are asked for. */
  public static final String DEFAULTS = "ndcg@10,ndcg@5,mrr@10,map,recall@100,pnr,pnr-mean,pnr-ties";

  private Metrics() {}

  /**
   * Parses a comma-separated list.
   *
   * @param gain the gain nDCG uses
   * @param relThreshold the lowest grade that counts as relevant for MRR, MAP and recall
   */
  public static List<Metric> parse(String spec, Ndcg.Gain gain, int relThreshold) {
    List<Metric> out = new ArrayList<>();
    for (String raw : spec.split(",")) {
      String s = raw.strip().toLowerCase(Locale.ROOT);
      if (s.isEmpty()) {
        continue;
      }
      out.add(parseOne(s, gain, relThreshold));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no metric named in '" + spec + "'");
    }
    return out;
  }

  static Metric parseOne(String s, Ndcg.Gain gain, int relThreshold) {
    switch (s) {
      case "pnr":
        return new Pnr(Pnr.Mode.POOLED);
      case "pnr-mean":
        return new Pnr(Pnr.Mode.MEAN);
      case "pnr-ties":
        return new Pnr(Pnr.Mode.TIES);
      case "map":
        return new AveragePrecision(Integer.MAX_VALUE, relThreshold);
      case "mrr":
        return new ReciprocalRank(Integer.MAX_VALUE, relThreshold);
      default:
        break;
    }
    int at = s.indexOf('@');
    if (at < 0) {
      throw unknown(s);
    }
    String base = s.substring(0, at);
    int k;
    try {
      k = Integer.parseInt(s.substring(at + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("metric '" + s + "': cutoff after '@' must be an integer");
    }
    if (k <= 0) {
      throw new IllegalArgumentException("metric '" + s + "': cutoff must be positive");
    }
    return switch (base) {
      case "ndcg" -> new Ndcg(k, gain);
      case "mrr" -> new ReciprocalRank(k, relThreshold);
      case "map" -> new AveragePrecision(k, relThreshold);
      case "recall" -> new Recall(k, relThreshold);
      case "judged" -> new Judged(k);
      default -> throw unknown(s);
    };
  }

  private static IllegalArgumentException unknown(String s) {
    return new IllegalArgumentException("unknown metric '" + s
        + "' (known: ndcg@K, mrr@K, mrr, map, map@K, recall@K, judged@K, pnr, pnr-mean,"
        + " pnr-ties)");
  }
}
