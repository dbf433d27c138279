package org.disranker.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.ScoredDoc;
import org.junit.jupiter.api.Test;

/** Each metric against values computed by hand (formulas in the comments). */
class MetricsTest {
  static final double EPS = 1e-12;

  /** A ranking in the given order, scores descending so the order is also trec_eval's. */
  static List<ScoredDoc> ranking(String... docids) {
    List<ScoredDoc> l = new ArrayList<>();
    for (int i = 0; i < docids.length; i++) {
      l.add(new ScoredDoc(docids[i], docids.length - i, i + 1));
    }
    return l;
  }

  static final Map<String, Integer> JUDGED = Map.of("d1", 3, "d2", 0, "d3", 2, "d4", 1);

  @Test
  void ndcgLinearGainUsesAllJudgedDocumentsForTheIdeal() {
    // DCG@3 = 0/log2(2) + 3/log2(3) + 0 (d5 unjudged); ideal = 3 + 2/log2(3) + 1/log2(4)
    double v = new Ndcg(3, Ndcg.Gain.LINEAR).perQuery(ranking("d2", "d1", "d5", "d3"), JUDGED);
    assertEquals(0.39748952229168844, v, EPS);
  }

  @Test
  void ndcgExponentialGain() {
    // gains 2^g-1: DCG@3 = 7/log2(3); ideal = 7 + 3/log2(3) + 1/2
    double v = new Ndcg(3, Ndcg.Gain.EXPONENTIAL).perQuery(ranking("d2", "d1", "d5", "d3"), JUDGED);
    assertEquals(0.47020199776783905, v, EPS);
  }

  @Test
  void ndcgCutoffPastTheEndOfTheList() {
    // Only two documents retrieved, k = 10: DCG = 3 + 2/log2(3); ideal adds d4: + 1/log2(4)
    double v = new Ndcg(10, Ndcg.Gain.LINEAR).perQuery(ranking("d1", "d3"), JUDGED);
    double dcg = 3 + 2 / (Math.log(3) / Math.log(2));
    assertEquals(dcg / (dcg + 0.5), v, EPS);
  }

  @Test
  void ndcgOfAPerfectRankingIsOne() {
    assertEquals(1.0, new Ndcg(5, Ndcg.Gain.LINEAR).perQuery(ranking("d1", "d3", "d4", "d2"),
        JUDGED), EPS);
  }

  @Test
  void queryWithoutRelevantDocumentScoresZeroEverywhere() {
    Map<String, Integer> none = Map.of("a", 0, "b", 0);
    List<ScoredDoc> r = ranking("a", "b");
    assertEquals(0.0, new Ndcg(10, Ndcg.Gain.LINEAR).perQuery(r, none));
    assertEquals(0.0, new ReciprocalRank(10, 1).perQuery(r, none));
    assertEquals(0.0, new AveragePrecision(Integer.MAX_VALUE, 1).perQuery(r, none));
    assertEquals(0.0, new Recall(10, 1).perQuery(r, none));
    assertEquals(0.0, new Ndcg(10, Ndcg.Gain.LINEAR).perQuery(List.of(), Map.of()));
  }

  @Test
  void negativeGradesGainNothing() {
    Map<String, Integer> j = Map.of("a", -1, "b", 2);
    // a at rank 1 gains 0; b at rank 2: 2/log2(3); ideal 2
    double v = new Ndcg(2, Ndcg.Gain.LINEAR).perQuery(ranking("a", "b"), j);
    assertEquals(1 / (Math.log(3) / Math.log(2)), v, EPS);
  }

  @Test
  void reciprocalRankWithCutoffAndThreshold() {
    List<ScoredDoc> r = ranking("d2", "d5", "d3", "d1");
    assertEquals(1.0 / 3, new ReciprocalRank(10, 1).perQuery(r, JUDGED), EPS);
    assertEquals(0.0, new ReciprocalRank(2, 1).perQuery(r, JUDGED), EPS);
    // threshold 3: only d1 counts, at rank 4
    assertEquals(0.25, new ReciprocalRank(10, 3).perQuery(r, JUDGED), EPS);
  }

  @Test
  void averagePrecisionDividesByAllRelevantJudged() {
    // relevant (>=1): d1, d3, d4. Ranking d1 x d3 y: (1/1 + 2/3) / 3; d4 never retrieved
    List<ScoredDoc> r = ranking("d1", "x", "d3", "y");
    assertEquals(0.5555555555555555, new AveragePrecision(Integer.MAX_VALUE, 1).perQuery(r,
        JUDGED), EPS);
    // map@2 keeps only the hit at rank 1: 1/3
    assertEquals(1.0 / 3, new AveragePrecision(2, 1).perQuery(r, JUDGED), EPS);
  }

  @Test
  void recallAtK() {
    List<ScoredDoc> r = ranking("d1", "x", "d3", "d4");
    assertEquals(2.0 / 3, new Recall(3, 1).perQuery(r, JUDGED), EPS);
    assertEquals(1.0, new Recall(100, 1).perQuery(r, JUDGED), EPS);
    assertEquals(0.5, new Recall(100, 2).perQuery(ranking("d1", "x"), JUDGED), EPS);
  }

  @Test
  void judgedAtKCountsJudgedDocumentsOfTheTopK() {
    List<ScoredDoc> r = ranking("d1", "x", "d2", "y");
    assertEquals(2.0 / 3, new Judged(3).perQuery(r, JUDGED), EPS);
    assertEquals(0.5, new Judged(10).perQuery(r, JUDGED), EPS); // k past the end: 2 of 4
    assertEquals(0.0, new Judged(5).perQuery(List.of(), JUDGED), EPS);
    assertEquals("judged@10", Metrics.parse("judged@10", Ndcg.Gain.LINEAR, 1).get(0).name());
  }

  @Test
  void pnrCountsConcordantDiscordantAndTiedPairsIgnoringUnjudged() {
    Map<String, Integer> j = Map.of("a", 2, "b", 1, "c", 0, "e", 1, "f", 0);
    List<ScoredDoc> r = List.of(
        new ScoredDoc("d", 1.0, 1), // unjudged: no pair
        new ScoredDoc("c", 0.95, 2),
        new ScoredDoc("a", 0.9, 3),
        new ScoredDoc("b", 0.8, 4),
        new ScoredDoc("e", 0.8, 5),
        new ScoredDoc("f", 0.8, 6));
    // a>b conc, a>c disc, a>e conc, a>f conc, b>c disc, e>c disc, b>f tie, e>f tie
    Pnr.PairCounts pc = Pnr.count(r, j);
    assertEquals(new Pnr.PairCounts(3, 3, 2), pc);
    assertEquals(1.0, new Pnr(Pnr.Mode.POOLED).perQuery(r, j), EPS);
    assertEquals(0.25, new Pnr(Pnr.Mode.TIES).perQuery(r, j), EPS);
  }

  @Test
  void pnrPooledDiffersFromPerQueryMean() {
    // q1: 4 positives, 2 negatives; three positives above both negatives, one below: 6 conc, 2 disc
    Map<String, Integer> j1 = Map.of("p1", 1, "p2", 1, "p3", 1, "p4", 1, "n1", 0, "n2", 0);
    List<ScoredDoc> r1 = List.of(new ScoredDoc("p1", .9, 1), new ScoredDoc("p2", .8, 2),
        new ScoredDoc("p3", .7, 3), new ScoredDoc("n2", .6, 4), new ScoredDoc("n1", .5, 5),
        new ScoredDoc("p4", .1, 6));
    // q2: 1 conc, 1 disc
    Map<String, Integer> j2 = Map.of("p", 1, "n1", 0, "n2", 0);
    List<ScoredDoc> r2 = List.of(new ScoredDoc("n1", .6, 1), new ScoredDoc("p", .5, 2),
        new ScoredDoc("n2", .4, 3));
    double[] per = {new Pnr(Pnr.Mode.MEAN).perQuery(r1, j1), new Pnr(Pnr.Mode.MEAN).perQuery(r2,
        j2)};
    assertEquals(3.0, per[0], EPS);
    assertEquals(1.0, per[1], EPS);
    assertEquals(7.0 / 3, new Pnr(Pnr.Mode.POOLED).summarize(List.of(r1, r2), List.of(j1, j2),
        per), EPS);
    assertEquals(2.0, new Pnr(Pnr.Mode.MEAN).summarize(List.of(r1, r2), List.of(j1, j2), per),
        EPS);
  }

  @Test
  void pnrWithoutDiscordantPairIsUndefinedPerQueryAndInfinitePooled() {
    Map<String, Integer> j = Map.of("p", 1, "n", 0);
    List<ScoredDoc> r = ranking("p", "n");
    assertTrue(Double.isNaN(new Pnr(Pnr.Mode.MEAN).perQuery(r, j)));
    assertEquals(Double.POSITIVE_INFINITY, new Pnr(Pnr.Mode.POOLED).summarize(List.of(r),
        List.of(j), new double[] {Double.NaN}));
  }

  @Test
  void parsesMetricNames() {
    List<Metric> ms = Metrics.parse("ndcg@10, mrr@10,map,recall@100,pnr,pnr-mean,pnr-ties,mrr",
        Ndcg.Gain.LINEAR, 1);
    assertEquals(List.of("ndcg@10", "mrr@10", "map", "recall@100", "pnr", "pnr-mean", "pnr-ties",
        "mrr"), ms.stream().map(Metric::name).toList());
    assertEquals("ndcg@5-exp", Metrics.parse("ndcg@5", Ndcg.Gain.EXPONENTIAL, 1).get(0).name());
    assertThrows(IllegalArgumentException.class, () -> Metrics.parse("ndcg", Ndcg.Gain.LINEAR, 1));
    assertThrows(IllegalArgumentException.class, () -> Metrics.parse("ndcg@x", Ndcg.Gain.LINEAR,
        1));
    assertThrows(IllegalArgumentException.class, () -> Metrics.parse("ndcg@0", Ndcg.Gain.LINEAR,
        1));
    assertThrows(IllegalArgumentException.class, () -> Metrics.parse("bleu@4", Ndcg.Gain.LINEAR,
        1));
  }
}
