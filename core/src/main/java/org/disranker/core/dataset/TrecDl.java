package org.disranker.core.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.disranker.core.data.Document;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.io.Corpora;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.Lines;
import org.disranker.core.io.TrecQrels;

/**
 * A TREC Deep Learning folder of {@code ../shared/data/trec-dl}: {@code queries.tsv}, {@code
 * passages.jsonl}, {@code candidates.tsv} and, where judged, {@code qrels.txt}.
 *
 * <p>The first-stage run is the BM25 run inside {@code candidates.tsv}: the rows with a {@code
 * bm25_rank}, scored by {@code bm25_score}. The pool is every candidate row (six retrievers' top
 * 100). Passages have no title.
 */
public final class TrecDl {
  static final String HEADER = "qid\tdocid\tbm25_rank\tbm25_score\tretrievers\tlabel";

  private TrecDl() {}

  /** True when the folder looks like a TREC DL folder. */
  public static boolean matches(Path dir) {
    return Files.isRegularFile(dir.resolve("candidates.tsv"))
        && Files.isRegularFile(dir.resolve("passages.jsonl"))
        && Files.isRegularFile(dir.resolve("queries.tsv"));
  }

  public static Dataset load(Path dir) {
    Map<String, Query> queries = Corpora.readQueries(dir.resolve("queries.tsv"));
    Map<String, Document> docs = Corpora.readDocuments(dir.resolve("passages.jsonl"));
    Path qrelsFile = dir.resolve("qrels.txt");
    Qrels qrels = Files.isRegularFile(qrelsFile) ? TrecQrels.read(qrelsFile) : Qrels.empty();

    Path cand = dir.resolve("candidates.tsv");
    Map<String, List<ScoredDoc>> bm25 = new LinkedHashMap<>();
    Map<String, List<String>> pool = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    Lines.forEach(cand, (n, line) -> {
      if (n == 1) {
        if (!line.strip().equals(HEADER)) {
          throw new InputFormatException(cand, n, "expected header '" + HEADER.replace('\t', ' ')
              + "'");
        }
        return;
      }
      if (line.isBlank()) {
        return;
      }
      String[] f = line.split("\t", -1);
      if (f.length != 6) {
        throw new InputFormatException(cand, n, "expected 6 tab-separated fields, found "
            + f.length);
      }
      String qid = f[0];
      String docid = f[1];
      if (!queries.containsKey(qid)) {
        throw new InputFormatException(cand, n, "unknown query id '" + qid + "'");
      }
      if (!docs.containsKey(docid)) {
        throw new InputFormatException(cand, n, "document '" + docid
            + "' is not in passages.jsonl");
      }
      if (!seen.add(qid + '\t' + docid)) {
        throw new InputFormatException(cand, n, "duplicate candidate pair " + qid + " " + docid);
      }
      pool.computeIfAbsent(qid, k -> new ArrayList<>()).add(docid);
      if (!f[2].isEmpty()) {
        int rank = Lines.parseInt(cand, n, "bm25_rank", f[2]);
        double score = Lines.parseDouble(cand, n, "bm25_score", f[3]);
        bm25.computeIfAbsent(qid, k -> new ArrayList<>()).add(new ScoredDoc(docid, score, rank));
      }
    });
    bm25.values().forEach(l -> l.sort((a, b) -> Integer.compare(a.rank(), b.rank())));
    for (String qid : qrels.queryIds()) {
      if (!queries.containsKey(qid)) {
        throw new InputFormatException(qrelsFile, "judgments for query '" + qid
            + "' which is not in queries.tsv");
      }
    }
    Map<String, List<String>> frozenPool = new LinkedHashMap<>();
    pool.forEach((q, l) -> frozenPool.put(q, List.copyOf(l)));
    String name = dir.toAbsolutePath().normalize().getFileName().toString();
    return new Dataset(name, queries, docs, qrels, new Run("bm25", bm25), frozenPool,
        "TREC DL passages (no titles); first stage: Anserini BM25 from candidates.tsv");
  }
}
