package org.disranker.core.clicks;

/**
 * One line of a click log: a query, the title and summary of a document clicked for it, and how
 * many times (at least 1). {@code qid} and {@code docid} are optional provenance.
 */
public record ClickRecord(String qid, String query, String docid, String title, String summary,
    int count) {
  public ClickRecord {
    if (count < 1) {
      throw new IllegalArgumentException("click count must be at least 1");
    }
  }
}
