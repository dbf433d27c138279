package org.disranker.core.clicks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.disranker.core.data.Document;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;

/**
 * A position-based click model (Richardson et al. 2007; Craswell et al. 2008): a user examines
 * the result at rank r with probability (1 / r)^η and, having examined it, clicks it with a
 * probability set by its grade; unjudged results count as grade 0. Each query gets a number of
 * simulated sessions over the top k of a first-stage ranking; clicks are summed per (query,
 * document). Seeded: the same inputs give the same log.
 *
 * <p>Meant for training queries only: the caller names the queries it may use, and a query of the
 * ranking outside that set is skipped, so test queries never leak into continued pre-training.
 *
 * @param eta examination decay η
 * @param clickProbability click probability by grade (index = grade; grades above the last use
 *     the last)
 */
public record ClickSimulator(double eta, double[] clickProbability, int topK, int sessions,
    long seed) {

  /** η = 1, click probabilities 0.05, 0.3, 0.7, 0.95 for grades 0..3, top 20, 50 sessions. */
  public static ClickSimulator defaults(long seed) {
    return new ClickSimulator(1.0, new double[] {0.05, 0.3, 0.7, 0.95}, 20, 50, seed);
  }

  public ClickSimulator {
    if (clickProbability.length == 0) {
      throw new IllegalArgumentException("need click probabilities for the grades");
    }
    for (double p : clickProbability) {
      if (p < 0 || p > 1) {
        throw new IllegalArgumentException("click probabilities lie in [0, 1]");
      }
    }
    clickProbability = clickProbability.clone();
  }

  public double examination(int rank) {
    return Math.pow(1.0 / rank, eta);
  }

  public double click(Integer grade) {
    int g = grade == null || grade < 0 ? 0 : Math.min(grade, clickProbability.length - 1);
    return clickProbability[g];
  }

  /** Simulates clicks on the allowed queries of a ranking. */
  public List<ClickRecord> simulate(Map<String, Query> queries, Map<String, Document> docs,
      Run ranking, Qrels qrels, Set<String> allowedQueries) {
    Random r = new Random(seed);
    List<ClickRecord> out = new ArrayList<>();
    for (String qid : ranking.queryIds()) {
      if (!allowedQueries.contains(qid)) {
        continue;
      }
      List<ScoredDoc> top = ranking.top(qid, topK);
      Map<String, Integer> counts = new LinkedHashMap<>();
      for (int s = 0; s < sessions; s++) {
        for (int i = 0; i < top.size(); i++) {
          String d = top.get(i).docid();
          boolean examined = r.nextDouble() < examination(i + 1);
          boolean clicked = r.nextDouble() < click(qrels.grade(qid, d));
          if (examined && clicked) {
            counts.merge(d, 1, Integer::sum);
          }
        }
      }
      Query q = queries.get(qid);
      counts.forEach((d, c) -> {
        Document doc = docs.get(d);
        if (doc != null) {
          out.add(new ClickRecord(qid, q.text(), d, doc.title(), doc.body(), c));
        }
      });
    }
    return out;
  }
}
