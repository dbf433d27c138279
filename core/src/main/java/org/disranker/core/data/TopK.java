package org.disranker.core.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The (query, document) pairs a reranker scores: the top k of each query of a run, in trec_eval
 * order, with their texts; and the way back from scores to a run.
 */
public record TopK(List<String> qids, List<String> docids, List<String> queries,
    List<String> documents) {

  /** The top k of every query of {@code run}; a document without text is an error. */
  public static TopK of(Run run, int k, Map<String, Query> queries, Map<String, Document> docs) {
    TopK t = new TopK(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (String q : run.queryIds()) {
      for (ScoredDoc sd : run.top(q, k)) {
        Document doc = docs.get(sd.docid());
        if (doc == null) {
          throw new IllegalArgumentException("run names document " + sd.docid()
              + " which the dataset has no text for");
        }
        t.qids.add(q);
        t.docids.add(sd.docid());
        t.queries.add(queries.get(q).text());
        t.documents.add(doc.text());
      }
    }
    return t;
  }

  public int size() {
    return qids.size();
  }

  /** A run of these pairs with the given scores, ranked in trec_eval order. */
  public Run toRun(float[] scores, String name) {
    Map<String, List<ScoredDoc>> byQ = new LinkedHashMap<>();
    for (int i = 0; i < scores.length; i++) {
      byQ.computeIfAbsent(qids.get(i), x -> new ArrayList<>()).add(new ScoredDoc(docids.get(i),
          scores[i], 0));
    }
    return Run.ranked(name, byQ);
  }
}
