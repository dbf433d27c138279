package org.disranker.core.data;

import java.util.Objects;

/**
 * A document: an id unique within its corpus, a title (empty when the collection has none, such as
 * MS MARCO passages) and a body (the paper's "summary").
 */
public record Document(String id, String title, String body) {
  public Document {
    Objects.requireNonNull(id, "id");
    title = title == null ? "" : title;
    body = body == null ? "" : body;
  }

  /** Title and body joined by a space, or just the body when there is no title. */
  public String text() {
    return title.isEmpty() ? body : body.isEmpty() ? title : title + " " + body;
  }
}
