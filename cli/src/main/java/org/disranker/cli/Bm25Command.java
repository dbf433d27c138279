package org.disranker.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.Corpora;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.util.Progress;
import org.disranker.retrieval.Bm25Index;
import org.disranker.retrieval.Bm25Searcher;
import org.disranker.search.CrossEncoderRescorer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker bm25}: first-stage retrieval with Lucene BM25. */
@Command(name = "bm25", mixinStandardHelpOptions = true,
    description = "First-stage retrieval with Lucene BM25: index a corpus, search its queries.",
    subcommands = {Bm25Command.Index.class, Bm25Command.Search.class})
public final class Bm25Command implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Builds an index. */
  @Command(name = "index", mixinStandardHelpOptions = true,
      description = "Index the documents of a dataset (or a corpus file) for BM25.")
  static final class Index implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--corpus", paramLabel = "FILE",
        description = "A corpus file (.jsonl or .tsv) instead of --dataset")
    Path corpus;

    @Option(names = "--index", required = true, paramLabel = "DIR",
        description = "Index folder to (re)build")
    Path index;

    @Override
    public Integer call() {
      var docs = corpus != null ? Corpora.readDocuments(corpus) : data.open().documents();
      long t = System.nanoTime();
      Bm25Index.build(index, docs.values());
      System.err.printf("indexed %d documents into %s in %.1fs%n", docs.size(), index,
          (System.nanoTime() - t) / 1e9);
      return 0;
    }
  }

  /** Searches an index. */
  @Command(name = "search", mixinStandardHelpOptions = true,
      description = "Retrieve the top k documents for every query into a TREC run file.")
  static final class Search implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--queries", paramLabel = "FILE",
        description = "A query file (.tsv or .jsonl) instead of the dataset's queries")
    Path queries;

    @Option(names = "--index", required = true, paramLabel = "DIR", description = "Index folder")
    Path index;

    @Option(names = {"-k", "--top-k"}, defaultValue = "1000",
        description = "Documents per query (default ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--k1", defaultValue = "0.9", description = "BM25 k1 (default ${DEFAULT-VALUE})")
    float k1;

    @Option(names = "--b", defaultValue = "0.4", description = "BM25 b (default ${DEFAULT-VALUE})")
    float b;

    @Option(names = "--tag", defaultValue = "bm25", description = "Run tag (default ${DEFAULT-VALUE})")
    String tag;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
        description = "Run file to write")
    Path output;

    @Option(names = "--rerank", paramLabel = "DIR",
        description = "Rerank each query's top k with this cross-encoder export (the pipeline's"
            + " final/ folder) through the Lucene rescorer; the run holds the model's scores")
    Path rerank;

    @Option(names = "--fp32", description = "With --rerank: model.onnx instead of"
        + " model.int8.onnx")
    boolean fp32;

    @Option(names = "--max-length", defaultValue = "256",
        description = "With --rerank: tokens per input (default ${DEFAULT-VALUE})")
    int maxLength;

    @Override
    public Integer call() {
      if (k <= 0) {
        throw new IllegalArgumentException("--top-k must be positive");
      }
      Map<String, Query> qs;
      if (queries != null) {
        qs = Corpora.readQueries(queries);
      } else {
        Dataset d = data.open();
        qs = d.queries();
      }
      Run run;
      try (Bm25Searcher s = new Bm25Searcher(index, k1, b)) {
        run = rerank == null ? s.searchAll(qs, k, tag) : reranked(s, qs);
      }
      TrecRuns.write(output, run, tag);
      System.err.println("wrote " + run.size() + " lines for " + run.queryIds().size()
          + " queries to " + output);
      return 0;
    }

    /** BM25's top k of each query, reordered by the cross-encoder (its scores in the run). */
    private Run reranked(Bm25Searcher s, Map<String, Query> qs) {
      Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
      try (CrossEncoderRescorer r = CrossEncoderRescorer.open(rerank,
          CrossEncoderRescorer.options().topN(k).int8(!fp32).maxLength(maxLength));
          Progress p = Progress.start("rerank", qs.size())) {
        StoredFields stored = s.searcher().storedFields();
        for (Query query : qs.values()) {
          org.apache.lucene.search.Query lq = s.query(query.text());
          List<ScoredDoc> l = new ArrayList<>();
          if (lq != null) {
            TopDocs first = s.searcher().search(lq, k);
            TopDocs top = first.scoreDocs.length == 0 ? first
                : r.forQuery(query.text()).rescore(s.searcher(), first, k);
            for (ScoreDoc sd : top.scoreDocs) {
              l.add(new ScoredDoc(stored.document(sd.doc, Set.of(Bm25Index.ID))
                  .get(Bm25Index.ID), sd.score, 0));
            }
          }
          out.put(query.id(), l);
          p.step();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("searching " + index, e);
      }
      return Run.ranked(tag, out);
    }
  }
}
