package org.disranker.core.data;

import java.util.Objects;

/** A search query: an id unique within its query set, and its text. */
public record Query(String id, String text) {
  public Query {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(text, "text");
  }
}
