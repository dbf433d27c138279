package org.disranker.core.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.io.Corpora;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.TrecQrels;
import org.disranker.core.io.TrecRuns;

/**
 * A folder in this project's own generic layout: a corpus ({@code corpus.jsonl}, {@code
 * docs.jsonl}, {@code corpus.tsv} or {@code docs.tsv}), queries ({@code queries.tsv} or {@code
 * queries.jsonl}), and optionally {@code qrels.txt} (TREC qrels) and {@code run.txt} (a TREC run
 * used as the first stage). See {@link Corpora} for the line formats.
 */
public final class GenericDataset {
  static final List<String> CORPUS_NAMES =
      List.of("corpus.jsonl", "docs.jsonl", "corpus.tsv", "docs.tsv");
  static final List<String> QUERY_NAMES = List.of("queries.tsv", "queries.jsonl");

  private GenericDataset() {}

  public static boolean matches(Path dir) {
    return find(dir, CORPUS_NAMES) != null && find(dir, QUERY_NAMES) != null;
  }

  public static Dataset load(Path dir) {
    Path corpus = find(dir, CORPUS_NAMES);
    Path queryFile = find(dir, QUERY_NAMES);
    if (corpus == null || queryFile == null) {
      throw new InputFormatException(dir, "expected one of " + CORPUS_NAMES + " and one of "
          + QUERY_NAMES);
    }
    Map<String, Document> docs = Corpora.readDocuments(corpus);
    Map<String, Query> queries = Corpora.readQueries(queryFile);
    Path qrelsFile = dir.resolve("qrels.txt");
    Qrels qrels = Files.isRegularFile(qrelsFile) ? TrecQrels.read(qrelsFile) : Qrels.empty();
    for (String q : qrels.queryIds()) {
      if (!queries.containsKey(q)) {
        throw new InputFormatException(qrelsFile, "judgments for unknown query '" + q + "'");
      }
    }
    Path runFile = dir.resolve("run.txt");
    Run run = Files.isRegularFile(runFile) ? TrecRuns.read(runFile, queries::containsKey) : null;
    String name = dir.toAbsolutePath().normalize().getFileName().toString();
    return new Dataset(name, queries, docs, qrels, run, Map.of(), "generic folder " + dir);
  }

  private static Path find(Path dir, List<String> names) {
    for (String n : names) {
      Path p = dir.resolve(n);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }
}
