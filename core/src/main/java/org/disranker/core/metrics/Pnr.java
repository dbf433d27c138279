package org.disranker.core.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.ScoredDoc;

/**
 * PNR, the positive-negative ratio of the DisRanker paper: over pairs (i, j) of judged documents
 * of the same query in the ranking with grade_i > grade_j, {@code #(f_i > f_j) / #(f_i < f_j)},
 * where f is the run's score. Pairs with equal scores are neither, and are reported on their own.
 * Unjudged documents take part in no pair.
 *
 * <p>Three views, three names:
 *
 * <ul>
 *   <li>{@code pnr}: pooled over all pairs of all queries (the paper's definition); infinite when
 *       no pair is discordant;
 *   <li>{@code pnr-mean}: the mean of per-query ratios, over the queries with at least one
 *       discordant pair (elsewhere the ratio is undefined: NaN per query);
 *   <li>{@code pnr-ties}: the share of pairs whose scores tie, pooled.
 * </ul>
 *
 * When the run's scores are not the ranker's (only its order is), evaluate with {@code
 * Run.Order.RANK}: scores are then taken as minus the position.
 */
public final class Pnr implements Metric {
  /** Which view of the pair counts. */
  public enum Mode {
    POOLED("pnr"),
    MEAN("pnr-mean"),
    TIES("pnr-ties");

    final String label;

    Mode(String label) {
      this.label = label;
    }
  }

  /** Pair counts of one query or of many. */
  public record PairCounts(long concordant, long discordant, long tied) {
    public long total() {
      return concordant + discordant + tied;
    }

    public PairCounts plus(PairCounts o) {
      return new PairCounts(concordant + o.concordant, discordant + o.discordant, tied + o.tied);
    }

    /** concordant / discordant; NaN when there is no discordant pair. */
    public double ratio() {
      return discordant == 0 ? Double.NaN : (double) concordant / discordant;
    }
  }

  private final Mode mode;

  public Pnr(Mode mode) {
    this.mode = mode;
  }

  @Override
  public String name() {
    return mode.label;
  }

  /** Counts the pairs of one ranking. Scores are those stored in the ranking. */
  public static PairCounts count(List<ScoredDoc> ranking, Map<String, Integer> judgments) {
    List<double[]> judged = new ArrayList<>(); // {grade, score}
    for (ScoredDoc d : ranking) {
      Integer g = judgments.get(d.docid());
      if (g != null) {
        judged.add(new double[] {g, d.score()});
      }
    }
    long c = 0;
    long dis = 0;
    long t = 0;
    for (int i = 0; i < judged.size(); i++) {
      double[] a = judged.get(i);
      for (int j = i + 1; j < judged.size(); j++) {
        double[] b = judged.get(j);
        if (a[0] == b[0]) {
          continue;
        }
        double[] hi = a[0] > b[0] ? a : b;
        double[] lo = a[0] > b[0] ? b : a;
        if (hi[1] > lo[1]) {
          c++;
        } else if (hi[1] < lo[1]) {
          dis++;
        } else {
          t++;
        }
      }
    }
    return new PairCounts(c, dis, t);
  }

  @Override
  public double perQuery(List<ScoredDoc> ranking, Map<String, Integer> judgments) {
    PairCounts pc = count(ranking, judgments);
    return switch (mode) {
      case POOLED, MEAN -> pc.ratio();
      case TIES -> pc.total() == 0 ? Double.NaN : (double) pc.tied() / pc.total();
    };
  }

  @Override
  public double summarize(
      List<List<ScoredDoc>> rankings, List<Map<String, Integer>> judgments, double[] perQuery) {
    if (mode == Mode.MEAN) {
      return Metric.meanOfDefined(perQuery);
    }
    PairCounts sum = new PairCounts(0, 0, 0);
    for (int i = 0; i < rankings.size(); i++) {
      sum = sum.plus(count(rankings.get(i), judgments.get(i)));
    }
    if (mode == Mode.TIES) {
      return sum.total() == 0 ? Double.NaN : (double) sum.tied() / sum.total();
    }
    if (sum.discordant() == 0) {
      return sum.concordant() > 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    }
    return sum.ratio();
  }
}
