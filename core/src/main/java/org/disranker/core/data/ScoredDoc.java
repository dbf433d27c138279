package org.disranker.core.data;

import java.util.Objects;

/** One line of a ranked list: a document id, the ranker's score and the rank the ranker gave it. */
public record ScoredDoc(String docid, double score, int rank) {
  public ScoredDoc {
    Objects.requireNonNull(docid, "docid");
  }
}
