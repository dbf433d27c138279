package org.disranker.core.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.io.Corpora;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.TrecQrels;

/**
 * NFCorpus: queries of one split ({@code train}, {@code dev} or {@code test}) and one query set
 * ({@code titles}, {@code nontopic-titles}, {@code vid-titles}, {@code vid-desc}), graded with the
 * {@code 2-1-0} qrels; the corpus is the union of every {@code *.docs} file present (dev and test
 * here), a document shared by two files read once.
 *
 * <p>The text is the dataset authors' preprocessed form (lowercased, stop words removed, title
 * merged into the text), so documents have no separate title.
 */
public final class NfCorpus {
  public static final String DEFAULT_SPLIT = "test";
  public static final String DEFAULT_QUERY_SET = "titles";
  static final List<String> SPLITS = List.of("train", "dev", "test");

  private NfCorpus() {}

  public static boolean matches(Path dir) {
    return Files.isRegularFile(dir.resolve("test.docs"))
        || Files.isRegularFile(dir.resolve("dev.docs"));
  }

  public static Dataset load(Path dir, String split, String querySet) {
    String s = split == null ? DEFAULT_SPLIT : split;
    String qs = querySet == null ? DEFAULT_QUERY_SET : querySet;
    if (!SPLITS.contains(s)) {
      throw new IllegalArgumentException("NFCorpus split must be one of " + SPLITS + ", not '" + s
          + "'");
    }
    Map<String, Document> docs = new LinkedHashMap<>();
    for (String part : SPLITS) {
      Path f = dir.resolve(part + ".docs");
      if (!Files.isRegularFile(f)) {
        continue;
      }
      for (Document d : Corpora.readDocuments(f).values()) {
        Document prev = docs.putIfAbsent(d.id(), d);
        if (prev != null && !prev.equals(d)) {
          throw new InputFormatException(f, "document '" + d.id()
              + "' differs from the copy in an earlier .docs file");
        }
      }
    }
    Path queryFile = dir.resolve(s + "." + qs + ".queries");
    Map<String, Query> queries = Corpora.readQueries(queryFile);
    Qrels all = TrecQrels.read(dir.resolve(s + ".2-1-0.qrel"));
    // Keep the judgments of the queries in this query set only.
    Qrels.Builder b = Qrels.builder();
    for (String q : all.queryIds()) {
      if (queries.containsKey(q)) {
        all.judgments(q).forEach((d, g) -> b.add(q, d, g));
      }
    }
    return new Dataset("nfcorpus-" + s + "-" + qs, queries, docs, b.build(), null, Map.of(),
        "NFCorpus " + s + " split, " + qs + " queries, 2-1-0 qrels; corpus = dev+test documents"
            + " (train documents are not available)");
  }
}
