package org.disranker.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.disranker.core.data.Qrels;

/**
 * Training pairs from graded labels: for each query, every pair of judged documents with text
 * whose grades differ, the better one first; at most {@code capPerQuery} pairs a query (a seeded
 * sample) so that heavily judged queries do not dominate. The order of steps is a seeded shuffle
 * per epoch, so batch k is a function of (seed, k) alone, which makes resumed training identical
 * to uninterrupted training.
 */
public final class TrainingPairs {
  /** A labelled pair: the positive has the higher grade. */
  public record Pair(String qid, String pos, String neg, int posGrade, int negGrade) {}

  private final List<Pair> pairs;
  private final long seed;

  private TrainingPairs(List<Pair> pairs, long seed) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("no training pairs: the judgments have no two documents"
          + " of one query with different grades");
    }
    this.pairs = List.copyOf(pairs);
    this.seed = seed;
  }

  public static TrainingPairs fromQrels(Qrels qrels, Set<String> docsWithText, int capPerQuery,
      long seed) {
    Random r = new Random(seed);
    List<Pair> out = new ArrayList<>();
    for (String q : qrels.queryIds()) {
      List<Map.Entry<String, Integer>> judged = new ArrayList<>();
      for (Map.Entry<String, Integer> e : qrels.judgments(q).entrySet()) {
        if (docsWithText.contains(e.getKey())) {
          judged.add(e);
        }
      }
      List<Pair> qp = new ArrayList<>();
      for (int i = 0; i < judged.size(); i++) {
        for (int j = 0; j < judged.size(); j++) {
          int gi = judged.get(i).getValue();
          int gj = judged.get(j).getValue();
          if (gi > gj) {
            qp.add(new Pair(q, judged.get(i).getKey(), judged.get(j).getKey(), gi, gj));
          }
        }
      }
      Collections.shuffle(qp, r);
      out.addAll(qp.subList(0, Math.min(capPerQuery, qp.size())));
    }
    return new TrainingPairs(out, seed);
  }

  public int size() {
    return pairs.size();
  }

  /** The pairs of step {@code step} (0-based) with {@code batch} pairs a step. */
  public List<Pair> batch(long step, int batch) {
    List<Pair> out = new ArrayList<>(batch);
    long start = step * batch;
    for (long k = start; k < start + batch; k++) {
      long epoch = k / pairs.size();
      int within = (int) (k % pairs.size());
      out.add(epochOrder(epoch).get(within));
    }
    return out;
  }

  private long cachedEpoch = -1;
  private List<Pair> cachedOrder;

  private List<Pair> epochOrder(long epoch) {
    if (epoch != cachedEpoch) {
      List<Pair> l = new ArrayList<>(pairs);
      Collections.shuffle(l, new Random(seed * 1_000_003L + epoch));
      cachedOrder = l;
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }
}
