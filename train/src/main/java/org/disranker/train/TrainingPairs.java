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
  public record Pair(String qid, String pos, String neg, int posGrade, int negGrade)
      implements BertPairTask.Item {
    @Override
    public List<String> docids() {
      return List.of(pos, neg);
    }
  }

  private final List<Pair> pairs;
  private final long seed;
  /** Per query, the documents usable as negatives below each grade (for listwise groups). */
  private final Map<String, List<Pair>> byQuery = new java.util.HashMap<>();

  private TrainingPairs(List<Pair> pairs, long seed) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("no training pairs: the judgments have no two documents"
          + " of one query with different grades");
    }
    this.pairs = List.copyOf(pairs);
    this.seed = seed;
    for (Pair p : this.pairs) {
      byQuery.computeIfAbsent(p.qid(), k -> new ArrayList<>()).add(p);
    }
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

  /**
   * Adds pairs against the first stage: per query, {@code perQuery} pairs of a judged document of
   * grade at least 1 against an unjudged document from the run's top {@code depth}, taken as
   * grade 0 (the paper draws negatives from the retrieval results as well).
   */
  public TrainingPairs withFirstStageNegatives(Qrels qrels, org.disranker.core.data.Run run,
      Set<String> docsWithText, int perQuery, int depth) {
    Random r = new Random(seed + 17);
    List<Pair> out = new ArrayList<>(pairs);
    for (String q : qrels.queryIds()) {
      List<String> pos = new ArrayList<>();
      qrels.judgments(q).forEach((d, g) -> {
        if (g >= 1 && docsWithText.contains(d)) {
          pos.add(d);
        }
      });
      List<String> neg = new ArrayList<>();
      List<org.disranker.core.data.ScoredDoc> top = run.ordered(q,
          org.disranker.core.data.Run.Order.SCORE);
      for (org.disranker.core.data.ScoredDoc sd : top.subList(0, Math.min(depth, top.size()))) {
        if (qrels.grade(q, sd.docid()) == null && docsWithText.contains(sd.docid())) {
          neg.add(sd.docid());
        }
      }
      if (pos.isEmpty() || neg.isEmpty()) {
        continue;
      }
      for (int i = 0; i < perQuery; i++) {
        String p = pos.get(r.nextInt(pos.size()));
        out.add(new Pair(q, p, neg.get(r.nextInt(neg.size())), qrels.grade(q, p), 0));
      }
    }
    return new TrainingPairs(out, seed);
  }

  /**
   * A listwise group for a pair: its positive, its negative, and {@code extra} more negatives of
   * the same query with a grade below the positive's, drawn with a seed from (step, index).
   */
  public List<String> group(Pair p, int extra, long step, int index) {
    List<String> g = new ArrayList<>();
    g.add(p.pos());
    g.add(p.neg());
    List<Pair> cands = byQuery.get(p.qid()).stream().filter(x -> x.negGrade() < p.posGrade())
        .toList();
    Random r = new Random(seed * 31 + step * 1_000_003L + index);
    for (int i = 0; i < extra; i++) {
      g.add(cands.get(r.nextInt(cands.size())).neg());
    }
    return g;
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
