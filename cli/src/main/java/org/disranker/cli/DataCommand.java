package org.disranker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.Callable;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.TrecQrels;
import org.disranker.core.io.TrecRuns;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker data}: look into a dataset and export its parts in TREC formats. */
@Command(name = "data", mixinStandardHelpOptions = true,
    description = "Inspect a dataset and export its qrels, first-stage run or scoring pool.",
    subcommands = {DataCommand.Stats.class, DataCommand.ExportRun.class,
        DataCommand.ExportQrels.class, DataCommand.Pairs.class, DataCommand.Pool.class})
public final class DataCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Counts of a dataset. */
  @Command(name = "stats", mixinStandardHelpOptions = true,
      description = "Print the size of a dataset: queries, documents, judgments, first stage.")
  static final class Stats implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Override
    public Integer call() {
      Dataset d = data.open();
      int[] grades = new int[16];
      int other = 0;
      for (String q : d.qrels().queryIds()) {
        for (int g : d.qrels().judgments(q).values()) {
          if (g >= 0 && g < grades.length) {
            grades[g]++;
          } else {
            other++;
          }
        }
      }
      StringBuilder dist = new StringBuilder();
      for (int g = 0; g < grades.length; g++) {
        if (grades[g] > 0) {
          dist.append(dist.length() == 0 ? "" : " ").append(g).append(':').append(grades[g]);
        }
      }
      System.out.println("dataset      " + d.name());
      System.out.println("queries      " + d.queries().size());
      System.out.println("documents    " + d.documents().size());
      System.out.println("judged       " + d.qrels().size() + " pairs over "
          + d.qrels().queryIds().size() + " queries (" + dist + (other > 0 ? " other:" + other : "")
          + ")");
      System.out.println("first stage  " + (d.hasFirstStage() ? d.firstStage().name() + ", "
          + d.firstStage().size() + " pairs" : "none (use 'disranker bm25')"));
      if (!d.pool().isEmpty()) {
        System.out.println("pool         " + d.pool().values().stream().mapToInt(List::size).sum()
            + " candidate pairs");
      }
      System.out.println("notes        " + d.notes());
      return 0;
    }
  }

  /** Writes the dataset's own first-stage run. */
  @Command(name = "export-run", mixinStandardHelpOptions = true,
      description = "Write the dataset's first-stage run (TREC DL: the BM25 rows of"
          + " candidates.tsv) as a TREC run file.")
  static final class ExportRun implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
        description = "Run file to write")
    Path output;

    @Override
    public Integer call() {
      Dataset d = data.open();
      if (!d.hasFirstStage()) {
        throw new IllegalArgumentException("dataset " + d.name()
            + " has no first-stage run; retrieve one with 'disranker bm25 search'");
      }
      TrecRuns.write(output, d.firstStage(), d.firstStage().name());
      System.err.println("wrote " + d.firstStage().size() + " lines to " + output);
      return 0;
    }
  }

  /** Writes the dataset's judgments as TREC qrels (after any grade mapping). */
  @Command(name = "export-qrels", mixinStandardHelpOptions = true,
      description = "Write the dataset's judgments as a TREC qrels file (grades as mapped by the"
          + " reader, e.g. Cranfield 1->4 .. 4->1).")
  static final class ExportQrels implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
        description = "Qrels file to write")
    Path output;

    @Override
    public Integer call() {
      Dataset d = data.open();
      TrecQrels.write(output, d.qrels());
      System.err.println("wrote " + d.qrels().size() + " judgments to " + output);
      return 0;
    }
  }

  /** Writes a pool of pairs with their texts, the input of {@code disranker spark score}. */
  @Command(name = "pairs", mixinStandardHelpOptions = true,
      description = "Write (query, document) pairs with their texts as JSON lines {qid, docid,"
          + " query, title, text}: the top k of the first-stage run, or the whole candidate"
          + " pool. This is the input of 'disranker spark score'.")
  static final class Pairs implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = {"-k", "--top-k"}, defaultValue = "100",
        description = "Pairs per query from the first-stage run; default ${DEFAULT-VALUE}")
    int k;

    @Option(names = "--pool", description = "The dataset's whole candidate pool instead")
    boolean pool;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
        description = "JSON-lines file to write")
    Path output;

    @Override
    public Integer call() {
      Dataset d = data.open();
      Map<String, List<String>> pairs = new LinkedHashMap<>();
      if (pool) {
        d.pool().forEach((q, docs) -> pairs.put(q, new ArrayList<>(docs)));
      } else {
        if (!d.hasFirstStage()) {
          throw new IllegalArgumentException("dataset " + d.name() + " has no first-stage run;"
              + " use --pool, or retrieve one with 'disranker bm25 search'");
        }
        for (String q : d.firstStage().queryIds()) {
          pairs.put(q, d.firstStage().top(q, k).stream().map(ScoredDoc::docid).toList());
        }
      }
      ObjectMapper json = new ObjectMapper();
      long[] n = {0};
      AtomicFiles.write(output, w -> {
        for (Map.Entry<String, List<String>> e : pairs.entrySet()) {
          Query q = d.queries().get(e.getKey());
          for (String docid : e.getValue()) {
            Document doc = d.documents().get(docid);
            if (q == null || doc == null) {
              throw new IllegalArgumentException("pair " + e.getKey() + " " + docid + " has no"
                  + (q == null ? " query" : " document") + " text in dataset " + d.name());
            }
            ObjectNode o = json.createObjectNode();
            o.put("qid", q.id()).put("docid", docid).put("query", q.text())
                .put("title", doc.title()).put("text", doc.body());
            w.write(json.writeValueAsString(o));
            w.write('\n');
            n[0]++;
          }
        }
      });
      System.err.println("wrote " + n[0] + " pairs of " + pairs.size() + " queries to "
          + output);
      return 0;
    }
  }

  /** Builds an unlabeled pool: queries, BM25 over held passages, a generic dataset folder. */
  @Command(name = "pool", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Build an unlabeled distillation pool: queries (a qid<TAB>text file such as"
          + " the MS MARCO dev queries, and/or the queries of datasets) and the Lucene BM25 top k"
          + " of each over the passages of the --corpus datasets. Queries and passages of the"
          + " --exclude datasets (the test set) are kept out. Writes a generic dataset folder"
          + " (queries.tsv, corpus.jsonl, run.txt, pool.json) that any --dataset option reads."})
  static final class Pool implements Callable<Integer> {
    @Option(names = "--queries", paramLabel = "FILE",
        description = "Query file (qid<TAB>text, or .jsonl); repeatable")
    List<Path> queryFiles = new ArrayList<>();

    @Option(names = "--queries-of", paramLabel = "DIR",
        description = "Also the queries of this dataset; repeatable")
    List<Path> queryDatasets = new ArrayList<>();

    @Option(names = "--corpus", required = true, paramLabel = "DIR",
        description = "Dataset whose passages are retrieved from; repeatable")
    List<Path> corpora;

    @Option(names = "--exclude", paramLabel = "DIR",
        description = "Dataset (the test set) whose queries and passages stay out; repeatable")
    List<Path> excluded = new ArrayList<>();

    @Option(names = {"-k", "--top-k"}, defaultValue = "20",
        description = "First-stage candidates per query (default ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--first-stage", defaultValue = "bm25",
        description = "What retrieves the candidates: bm25 (Lucene) or a bi-encoder (minilm,"
            + " bge-small, e5-small, e5-small-int8) by exact cosine search over all the"
            + " passages (default ${DEFAULT-VALUE})")
    String firstStage;

    @Option(names = "--max-length", defaultValue = "192",
        description = "Bi-encoder first stage: tokens per text (default ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--threads", defaultValue = "0",
        description = "Bi-encoder first stage: ONNX Runtime threads, 0 for one per core")
    int threads;

    @Option(names = "--random", defaultValue = "0",
        description = "Passages drawn at random per query besides the BM25 candidates (easy"
            + " negatives; default ${DEFAULT-VALUE})")
    int random;

    @Option(names = "--max-queries", defaultValue = "0",
        description = "Keep a seeded sample of this many queries; 0 for all (default"
            + " ${DEFAULT-VALUE})")
    int maxQueries;

    @Option(names = "--seed", defaultValue = "42") long seed;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR",
        description = "Folder to write")
    Path output;

    @Override
    public Integer call() {
      Map<String, Query> queries = new LinkedHashMap<>();
      Map<String, Object> sources = new LinkedHashMap<>();
      for (Path f : queryFiles) {
        merge(queries, org.disranker.core.io.Corpora.readQueries(f), f.toString());
      }
      for (Path dir : queryDatasets) {
        merge(queries, org.disranker.core.dataset.Datasets.open(dir, null).queries(),
            dir.toString());
      }
      if (queries.isEmpty()) {
        throw new IllegalArgumentException("no queries: give --queries or --queries-of");
      }
      List<Document> corpus = new ArrayList<>();
      for (Path dir : corpora) {
        corpus.addAll(org.disranker.core.dataset.Datasets.open(dir, null).documents().values());
      }
      List<Query> exQ = new ArrayList<>();
      java.util.Set<String> exD = new java.util.HashSet<>();
      for (Path dir : excluded) {
        Dataset d = org.disranker.core.dataset.Datasets.open(dir, null);
        exQ.addAll(d.queries().values());
        exD.addAll(d.documents().keySet());
      }
      sources.put("queryFiles", queryFiles.stream().map(Path::toString).toList());
      sources.put("queriesOf", queryDatasets.stream().map(Path::toString).toList());
      sources.put("corpora", corpora.stream().map(Path::toString).toList());
      sources.put("excluded", excluded.stream().map(Path::toString).toList());
      var r = org.disranker.retrieval.PoolBuilder.build(queries, maxQueries, seed, corpus, exQ,
          exD, k, random, sources, output, org.disranker.pipeline.DenseFirstStage.of("--first-stage", firstStage, maxLength,
          threads));
      System.err.printf("pool %s: %d queries, %d pairs over %d passages (%d queries and %d"
          + " passages of excluded collections left out)%n", output, r.queries(), r.pairs(),
          r.passages(), r.excludedQueries(), r.excludedPassages());
      return 0;
    }

    private static void merge(Map<String, Query> into, Map<String, Query> more, String from) {
      for (Query q : more.values()) {
        Query old = into.putIfAbsent(q.id(), q);
        if (old != null && !old.text().equals(q.text())) {
          throw new IllegalArgumentException(from + ": query " + q.id() + " has another text"
              + " than the same id read before");
        }
      }
    }
  }
}
