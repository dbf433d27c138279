package org.disranker.retrieval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.FileTrees;
import org.disranker.core.io.TrecRuns;

/**
 * Builds an unlabeled pool of (query, passage) pairs, the raw material of distillation: queries
 * without judgments (such as the MS MARCO dev queries), a corpus of passages held here, and the
 * top k of every query over that corpus by a {@link FirstStage} (Lucene BM25 unless told
 * otherwise). The result is a folder in the generic dataset layout ({@code queries.tsv},
 * {@code corpus.jsonl} with only the passages the pool uses, {@code run.txt} with the first
 * stage's candidates) plus {@code pool.json}, what went in and what was left out, so that every
 * command that takes {@code --dataset} reads a pool too.
 *
 * <p>Test-set hygiene: queries whose id or normalised text belongs to an excluded collection, and
 * that collection's passages, never enter the pool.
 */
public final class PoolBuilder {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** What a build wrote. */
  public record Result(int queries, int pairs, int passages, int excludedQueries,
      int excludedPassages) {}

  private PoolBuilder() {}

  /** Retrieves each query's candidates from the pool's passages. */
  public interface FirstStage {
    /** Its name, in pool.json and the run's tag ({@code NAME-pool}). */
    String name();

    /**
     * Each query's top k, best first, with the retriever's scores; a query without hits may be
     * missing. {@code workDir} is a folder the stage may use and must leave as it found it.
     */
    Map<String, List<ScoredDoc>> retrieve(Map<String, Query> queries,
        Map<String, Document> docs, int k, Path workDir) throws IOException;
  }

  /** Lucene BM25 (k1 0.9, b 0.4) over an index of the pool's passages built for the purpose. */
  public static final FirstStage BM25 = new FirstStage() {
    @Override
    public String name() {
      return "bm25";
    }

    @Override
    public Map<String, List<ScoredDoc>> retrieve(Map<String, Query> queries,
        Map<String, Document> docs, int k, Path workDir) throws IOException {
      Path index = workDir.resolve("bm25-index");
      FileTrees.deleteRecursively(index);
      Bm25Index.build(index, docs.values());
      Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
      try (Bm25Searcher s = new Bm25Searcher(index, Bm25Searcher.DEFAULT_K1,
          Bm25Searcher.DEFAULT_B)) {
        Run run = s.searchAll(queries, k, "bm25-pool");
        for (String q : run.queryIds()) {
          out.put(q, run.get(q));
        }
      }
      FileTrees.deleteRecursively(index);
      return out;
    }
  };

  /** The pool with BM25 as its first stage. */
  public static Result build(Map<String, Query> queries, int maxQueries, long seed,
      Collection<Document> corpus, Collection<Query> excludedQueries, Set<String> excludedDocs,
      int k, int randomPerQuery, Map<String, Object> sources, Path outDir) {
    return build(queries, maxQueries, seed, corpus, excludedQueries, excludedDocs, k,
        randomPerQuery, sources, outDir, BM25);
  }

  /**
   * @param queries candidate queries, in order
   * @param maxQueries keep at most this many (a seeded sample, kept in input order); 0 for all
   * @param corpus the passages to retrieve from
   * @param excludedQueries queries of the collections to keep out (test sets)
   * @param excludedDocs document ids to keep out
   * @param k first-stage depth per query
   * @param randomPerQuery passages drawn at random from the corpus per query besides the
   *     first-stage candidates (easy negatives: a teacher scores them low, and a student learns
   *     the coarse difference between a topic and another first)
   * @param sources what the queries and corpus were read from, for pool.json
   * @param firstStage what retrieves the candidates
   */
  public static Result build(Map<String, Query> queries, int maxQueries, long seed,
      Collection<Document> corpus, Collection<Query> excludedQueries, Set<String> excludedDocs,
      int k, int randomPerQuery, Map<String, Object> sources, Path outDir,
      FirstStage firstStage) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1");
    }
    Exclusion bad = Exclusion.of(excludedQueries);
    List<Query> kept = new ArrayList<>();
    int dropped = 0;
    for (Query q : queries.values()) {
      if (bad.excludes(q)) {
        dropped++;
      } else {
        kept.add(q);
      }
    }
    if (maxQueries > 0 && kept.size() > maxQueries) {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < kept.size(); i++) {
        idx.add(i);
      }
      java.util.Collections.shuffle(idx, new Random(seed));
      List<Integer> chosen = new ArrayList<>(idx.subList(0, maxQueries));
      java.util.Collections.sort(chosen);
      List<Query> sample = new ArrayList<>();
      chosen.forEach(i -> sample.add(kept.get(i)));
      kept.clear();
      kept.addAll(sample);
    }
    Map<String, Document> docs = new LinkedHashMap<>();
    int droppedDocs = 0;
    for (Document d : corpus) {
      if (excludedDocs.contains(d.id())) {
        droppedDocs++;
      } else if (docs.putIfAbsent(d.id(), d) != null && !docs.get(d.id()).text().strip()
          .replaceAll("\\s+", " ").equals(d.text().strip().replaceAll("\\s+", " "))) {
        throw new IllegalArgumentException("passage " + d.id() + " has two different texts in"
            + " the corpora");
      }
    }
    if (docs.isEmpty() || kept.isEmpty()) {
      throw new IllegalArgumentException("nothing to pool: " + kept.size() + " queries, "
          + docs.size() + " passages left after exclusions");
    }
    Map<String, Query> byId = new LinkedHashMap<>();
    kept.forEach(q -> byId.put(q.id(), q));
    Map<String, List<ScoredDoc>> retrieved;
    try {
      Files.createDirectories(outDir);
      retrieved = firstStage.retrieve(byId, docs, k, outDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Set<String> used = new HashSet<>();
    int pairs = 0;
    Map<String, List<ScoredDoc>> nonEmpty = new LinkedHashMap<>();
    List<String> ids = new ArrayList<>(docs.keySet());
    for (String q : byId.keySet()) {
      List<ScoredDoc> l = new ArrayList<>(retrieved.getOrDefault(q, List.of()));
      if (!l.isEmpty() && randomPerQuery > 0) {
        // seeded per query, so that a pool of more queries keeps each query's draws
        Random r = new Random(seed * 1_000_003L + q.hashCode());
        Set<String> have = new HashSet<>();
        l.forEach(sd -> have.add(sd.docid()));
        int want = Math.min(randomPerQuery, ids.size() - have.size());
        double low = l.get(l.size() - 1).score();
        for (int added = 0; added < want; ) {
          String d = ids.get(r.nextInt(ids.size()));
          if (have.add(d)) {
            added++;
            l.add(new ScoredDoc(d, low - added, 0)); // ranked below every first-stage one
          }
        }
      }
      if (!l.isEmpty()) {
        nonEmpty.put(q, l);
        l.forEach(sd -> used.add(sd.docid()));
        pairs += l.size();
      }
    }
    int[] written = {0};
    AtomicFiles.write(outDir.resolve("queries.tsv"), w -> {
      for (Query q : kept) {
        if (nonEmpty.containsKey(q.id())) {
          w.write(q.id() + "\t" + q.text().replace('\t', ' ').replace('\n', ' ') + "\n");
          written[0]++;
        }
      }
    });
    AtomicFiles.write(outDir.resolve("corpus.jsonl"), w -> {
      for (Document d : docs.values()) {
        if (used.contains(d.id())) {
          ObjectNode o = JSON.createObjectNode();
          o.put("docid", d.id());
          if (!d.title().isEmpty()) {
            o.put("title", d.title());
          }
          o.put("text", d.body());
          w.write(new ObjectMapper().writeValueAsString(o) + "\n");
        }
      }
    });
    String tag = firstStage.name() + "-pool";
    TrecRuns.write(outDir.resolve("run.txt"), Run.ranked(tag, nonEmpty), tag);
    Result r = new Result(written[0], pairs, used.size(), dropped, droppedDocs);
    ObjectNode m = JSON.createObjectNode();
    m.set("sources", JSON.valueToTree(sources));
    m.put("firstStage", firstStage.name());
    m.put("k", k);
    m.put("randomPerQuery", randomPerQuery);
    m.put("maxQueries", maxQueries);
    m.put("seed", seed);
    m.put("queries", r.queries());
    m.put("pairs", r.pairs());
    m.put("passages", r.passages());
    m.put("excludedQueries", dropped);
    m.put("excludedPassages", droppedDocs);
    m.put("queriesWithoutHits", kept.size() - written[0]);
    try {
      AtomicFiles.writeString(outDir.resolve("pool.json"), JSON.writeValueAsString(m) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return r;
  }

  /**
   * The queries of collections kept out of training (test sets): a query is excluded when its id
   * or its {@link #normalize normalised} text is one of theirs, so that a test query under another
   * id, or with other case and punctuation, is caught too.
   */
  public record Exclusion(Set<String> ids, Set<String> texts) {
    public static Exclusion of(Collection<Query> queries) {
      Set<String> ids = new HashSet<>();
      Set<String> texts = new HashSet<>();
      for (Query q : queries) {
        ids.add(q.id());
        texts.add(normalize(q.text()));
      }
      return new Exclusion(Set.copyOf(ids), Set.copyOf(texts));
    }

    public boolean excludes(Query q) {
      return ids.contains(q.id()) || texts.contains(normalize(q.text()));
    }
  }

  /** Lower case, runs of non-alphanumerics to one space: how query texts are compared. */
  public static String normalize(String text) {
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").strip();
  }
}
