package org.disranker.core.dataset;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.disranker.core.data.Document;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;

/**
 * A test collection in memory.
 *
 * @param name short name, e.g. {@code dl19} or {@code cranfield}
 * @param queries queries by id, in file order
 * @param documents documents by id, in file order
 * @param qrels graded judgments (empty for an unlabeled pool)
 * @param firstStage the collection's own first-stage run (the BM25 run of TREC DL), or null when
 *     the collection comes without one and must be retrieved with BM25
 * @param pool candidate document ids per query (TREC DL's union of six retrievers), empty if none
 * @param notes how the collection was read, e.g. a grade mapping, for reports
 */
public record Dataset(
    String name,
    Map<String, Query> queries,
    Map<String, Document> documents,
    Qrels qrels,
    Run firstStage,
    Map<String, List<String>> pool,
    String notes) {

  public Dataset {
    Objects.requireNonNull(name, "name");
    queries = Collections.unmodifiableMap(new LinkedHashMap<>(queries));
    documents = Collections.unmodifiableMap(new LinkedHashMap<>(documents));
    Objects.requireNonNull(qrels, "qrels");
    pool = pool == null ? Map.of() : pool;
    notes = notes == null ? "" : notes;
  }

  public boolean hasFirstStage() {
    return firstStage != null;
  }
}
