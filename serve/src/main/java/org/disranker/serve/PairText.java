package org.disranker.serve;

import java.io.Serializable;
import org.disranker.core.data.Document;

/**
 * One pair of a pool: the query and the document with their texts, so that an executor needs no
 * dataset to score it. {@code title} is empty when the collection has none.
 */
public record PairText(String qid, String docid, String query, String title, String text)
    implements Serializable {
  public PairText {
    title = title == null ? "" : title;
    text = text == null ? "" : text;
  }

  /** The document as the student reads it: title and text joined, like the rest of the project. */
  public String studentText() {
    return new Document(docid, title, text).text();
  }
}
