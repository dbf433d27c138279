package org.disranker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.disranker.retrieval.Bm25Index;
import org.disranker.retrieval.Bm25Searcher;
import org.disranker.search.CrossEncoderRescorer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code disranker search}: one query against a BM25 index, its top hits reranked by an exported
 * cross-encoder, printed with both scores.
 */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Answer a query: BM25 over an index from 'disranker bm25 index', the top"
        + " --candidates hits reranked by a cross-encoder export (the pipeline's final/ folder),"
        + " the best -k printed with the student's and BM25's scores.",
        "Example: disranker search --index cran.idx --model runs/pipeline/final --query"
            + " \"boundary layer flow\""})
public final class SearchCommand implements Callable<Integer> {
  @Option(names = "--index", required = true, paramLabel = "DIR",
      description = "Index folder (disranker bm25 index)")
  Path index;

  @Option(names = "--model", paramLabel = "DIR",
      description = "Cross-encoder export (model.onnx / model.int8.onnx + tokenizer.json);"
          + " without it, BM25 alone")
  Path model;

  @Option(names = {"-q", "--query"}, required = true, description = "The query text")
  String query;

  @Option(names = {"-k", "--top-k"}, defaultValue = "10",
      description = "Results to print (default ${DEFAULT-VALUE})")
  int k;

  @Option(names = "--candidates", defaultValue = "100",
      description = "BM25 hits the model reranks (default ${DEFAULT-VALUE})")
  int candidates;

  @Option(names = "--fp32", description = "Use model.onnx instead of model.int8.onnx")
  boolean fp32;

  @Option(names = "--max-length", defaultValue = "256",
      description = "Tokens per (query, passage) input (default ${DEFAULT-VALUE})")
  int maxLength;

  @Option(names = "--batch", defaultValue = "32", description = "Pairs per model call")
  int batch;

  @Option(names = "--json", description = "One JSON object on stdout instead of a table")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (query.isBlank()) {
      throw new IllegalArgumentException("--query is empty");
    }
    if (k < 1 || candidates < 1) {
      throw new IllegalArgumentException("--top-k and --candidates must be positive");
    }
    long t0 = System.nanoTime();
    try (Bm25Searcher bm25 = new Bm25Searcher(index, Bm25Searcher.DEFAULT_K1,
        Bm25Searcher.DEFAULT_B);
        CrossEncoderRescorer rescorer = model == null ? null : CrossEncoderRescorer.open(model,
            CrossEncoderRescorer.options().topN(candidates).int8(!fp32).maxLength(maxLength)
                .batch(batch))) {
      long t1 = System.nanoTime();
      Query q = bm25.query(query);
      TopDocs first = q == null ? new TopDocs(null, new ScoreDoc[0])
          : bm25.searcher().search(q, Math.max(candidates, k));
      java.util.Map<Integer, Float> firstScore = new java.util.HashMap<>();
      for (ScoreDoc sd : first.scoreDocs) {
        firstScore.put(sd.doc, sd.score);
      }
      TopDocs shown = rescorer == null || first.scoreDocs.length == 0 ? first
          : rescorer.forQuery(query).rescore(bm25.searcher(), first, candidates);
      long t2 = System.nanoTime();
      StoredFields stored = bm25.searcher().storedFields();
      int n = Math.min(k, shown.scoreDocs.length);
      ObjectMapper om = new ObjectMapper();
      ObjectNode out = om.createObjectNode();
      out.put("query", query);
      out.put("model", model == null ? null : model.toString());
      out.put("startupSeconds", round((t1 - t0) / 1e9));
      out.put("searchSeconds", round((t2 - t1) / 1e9));
      ArrayNode results = out.putArray("results");
      StringBuilder table = new StringBuilder();
      for (int i = 0; i < n; i++) {
        ScoreDoc sd = shown.scoreDocs[i];
        var doc = stored.document(sd.doc, Set.of(Bm25Index.ID, Bm25Index.TEXT));
        String text = doc.get(Bm25Index.TEXT) == null ? "" : doc.get(Bm25Index.TEXT);
        ObjectNode r = results.addObject();
        r.put("rank", i + 1);
        r.put("docid", doc.get(Bm25Index.ID));
        if (rescorer != null) {
          r.put("score", sd.score);
        }
        r.put("bm25", firstScore.get(sd.doc));
        r.put("text", text);
        String snippet = text.length() > 100 ? text.substring(0, 97) + "..." : text;
        table.append(rescorer == null
            ? String.format(Locale.ROOT, "%3d  %-12s  bm25 %7.3f  %s%n", i + 1,
                doc.get(Bm25Index.ID), firstScore.get(sd.doc), snippet.replace('\n', ' '))
            : String.format(Locale.ROOT, "%3d  %-12s  model %8.4f  bm25 %7.3f  %s%n", i + 1,
                doc.get(Bm25Index.ID), sd.score, firstScore.get(sd.doc),
                snippet.replace('\n', ' ')));
      }
      if (json) {
        System.out.println(om.writeValueAsString(out));
      } else {
        System.out.print(table);
        if (n == 0) {
          System.out.println("no results");
        }
        System.err.printf(Locale.ROOT, "%d of %d BM25 hits shown; start-up %.2f s, search and"
            + " rerank %.3f s%n", n, first.scoreDocs.length, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
      }
    }
    return 0;
  }

  private static double round(double s) {
    return Math.round(s * 1000) / 1000.0;
  }
}
