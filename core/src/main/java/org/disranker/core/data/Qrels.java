package org.disranker.core.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Graded relevance judgments: for each query id, the grade of each judged document id. Grades are
 * integers as in TREC qrels (0 = not relevant; negative grades count as 0 gain).
 */
public final class Qrels {
  private final Map<String, Map<String, Integer>> byQuery;

  private Qrels(Map<String, Map<String, Integer>> byQuery) {
    this.byQuery = byQuery;
  }

  public static Qrels empty() {
    return new Qrels(Map.of());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Query ids with at least one judgment, in insertion order. */
  public Set<String> queryIds() {
    return byQuery.keySet();
  }

  public boolean hasQuery(String qid) {
    return byQuery.containsKey(qid);
  }

  /** Judgments of one query (docid to grade); empty if the query has none. */
  public Map<String, Integer> judgments(String qid) {
    return byQuery.getOrDefault(qid, Map.of());
  }

  /** The grade of a pair, or null when the pair is unjudged. */
  public Integer grade(String qid, String docid) {
    return judgments(qid).get(docid);
  }

  public int size() {
    int n = 0;
    for (Map<String, Integer> m : byQuery.values()) {
      n += m.size();
    }
    return n;
  }

  public boolean isEmpty() {
    return byQuery.isEmpty();
  }

  /** Collects judgments; rejects a second grade for the same pair. */
  public static final class Builder {
    private final Map<String, Map<String, Integer>> byQuery = new LinkedHashMap<>();

    /**
     * Adds a judgment.
     *
     * @return false if the pair was already judged (the earlier grade is kept)
     */
    public boolean add(String qid, String docid, int grade) {
      Map<String, Integer> m = byQuery.computeIfAbsent(qid, k -> new LinkedHashMap<>());
      return m.putIfAbsent(docid, grade) == null;
    }

    public Qrels build() {
      Map<String, Map<String, Integer>> copy = new LinkedHashMap<>();
      byQuery.forEach((q, m) -> copy.put(q, Collections.unmodifiableMap(new LinkedHashMap<>(m))));
      return new Qrels(Collections.unmodifiableMap(copy));
    }
  }
}
