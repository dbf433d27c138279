package org.disranker.core.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run: for each query id, a ranked list of scored documents, as in a TREC run file.
 *
 * <p>Lists are kept as given. {@link #ordered(String, Order)} returns a list in the order an
 * evaluation must use: trec_eval ignores the rank column and sorts by score descending, breaking
 * ties by docid descending; {@link Order#RANK} instead trusts the rank column (for runs whose score
 * column is not the ranker's score).
 */
public final class Run {
  /** How to order a query's list for evaluation. */
  public enum Order {
    /** trec_eval: score descending, ties by docid descending (byte order). */
    SCORE,
    /** The rank column ascending, ties by docid ascending. */
    RANK
  }

  /** trec_eval's order: score descending, then docid descending. */
  public static final Comparator<ScoredDoc> TREC_EVAL_ORDER =
      Comparator.comparingDouble(ScoredDoc::score).reversed()
          .thenComparing(ScoredDoc::docid, Comparator.reverseOrder());

  private static final Comparator<ScoredDoc> RANK_ORDER =
      Comparator.comparingInt(ScoredDoc::rank).thenComparing(ScoredDoc::docid);

  private final String name;
  private final Map<String, List<ScoredDoc>> byQuery;

  public Run(String name, Map<String, List<ScoredDoc>> byQuery) {
    this.name = name;
    Map<String, List<ScoredDoc>> copy = new LinkedHashMap<>();
    byQuery.forEach((q, l) -> copy.put(q, List.copyOf(l)));
    this.byQuery = Collections.unmodifiableMap(copy);
  }

  public String name() {
    return name;
  }

  public Set<String> queryIds() {
    return byQuery.keySet();
  }

  /** The list of one query as stored (empty if the query is absent). */
  public List<ScoredDoc> get(String qid) {
    return byQuery.getOrDefault(qid, List.of());
  }

  /** The list of one query in evaluation order. */
  public List<ScoredDoc> ordered(String qid, Order order) {
    List<ScoredDoc> l = new ArrayList<>(get(qid));
    l.sort(order == Order.RANK ? RANK_ORDER : TREC_EVAL_ORDER);
    return l;
  }

  /** The first k documents of a query in evaluation (score) order: what a reranker rescores. */
  public List<ScoredDoc> top(String qid, int k) {
    List<ScoredDoc> l = ordered(qid, Order.SCORE);
    return l.subList(0, Math.min(k, l.size()));
  }

  public int size() {
    int n = 0;
    for (List<ScoredDoc> l : byQuery.values()) {
      n += l.size();
    }
    return n;
  }

  /**
   * Builds a run from lists in any order: each list is sorted in trec_eval order and ranks are
   * renumbered 1..n, so the rank column agrees with the order an evaluator reads.
   */
  public static Run ranked(String name, Map<String, List<ScoredDoc>> unordered) {
    Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
    unordered.forEach((q, l) -> {
      List<ScoredDoc> sorted = new ArrayList<>(l);
      sorted.sort(TREC_EVAL_ORDER);
      List<ScoredDoc> renumbered = new ArrayList<>(sorted.size());
      for (int i = 0; i < sorted.size(); i++) {
        ScoredDoc d = sorted.get(i);
        renumbered.add(new ScoredDoc(d.docid(), d.score(), i + 1));
      }
      out.put(q, renumbered);
    });
    return new Run(name, out);
  }
}
