package org.disranker.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.disranker.core.data.Run;
import org.disranker.core.data.TopK;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.util.Progress;
import org.disranker.model.Devices;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.bert.DjlScorer;
import org.disranker.model.bert.MeanPoolScorer;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.tokenize.PairTokenizer;
import org.disranker.serve.BiEncoder;
import org.disranker.serve.OnnxScorer;
import org.disranker.serve.PairText;
import org.disranker.serve.PoolScorer;
import org.disranker.serve.QueryScorer;
import org.disranker.serve.ScorerSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker rerank}: rerank the top k of a first-stage run with a cross-encoder. */
@Command(name = "rerank", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Rerank the top k of a first-stage run (the dataset's own, or --run) with a"
        + " student and write a TREC run.")
public final class RerankCommand implements Callable<Integer> {
  @Mixin DatasetOptions data;

  @Option(names = "--run", paramLabel = "FILE",
      description = "First-stage run (default: the dataset's own, e.g. TREC DL's BM25)")
  Path run;

  @Option(names = {"-k", "--top-k"}, defaultValue = "100",
      description = "Documents per query to rerank (default ${DEFAULT-VALUE})")
  int k;

  @Option(names = "--model", defaultValue = Models.MINILM,
      description = "minilm, bge-small or a student folder; gives the tokenizer for --onnx too"
          + " (default ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--onnx", paramLabel = "FILE",
      description = "Score with this ONNX model on ONNX Runtime instead of DJL")
  Path onnx;

  @Option(names = "--zero-shot",
      description = "Score by the cosine of the query's and the document's embeddings, each"
          + " encoded alone (a bi-encoder, no fine-tuning): minilm, bge-small and e5-small on ONNX"
          + " Runtime with their authors' pooling and prefixes; a folder mean-pooled on DJL")
  boolean zeroShot;

  @Option(names = "--pooling", paramLabel = "mean|cls",
      description = "With --zero-shot and a named bi-encoder: override its pooling")
  String pooling;

  @Option(names = "--batch", defaultValue = "48", description = "Batch size (default ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--max-length", defaultValue = "256",
      description = "Tokens per pair (default ${DEFAULT-VALUE})")
  int maxLength;

  @Option(names = "--threads", defaultValue = "0",
      description = "ONNX Runtime intra-op threads, 0 for one per core")
  int threads;

  @Option(names = "--per-query", description = "With --onnx: batch each query's pairs by the"
      + " plan of 'spark score' and 'teacher score' (its pairs by length, then document id, in"
      + " batches of --batch), so the scores equal theirs to the last bit; default: all pairs"
      + " sorted by length together (less padding)")
  boolean perQuery;

  @Option(names = "--tag", defaultValue = "rerank", description = "Run tag")
  String tag;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
      description = "Run file to write")
  Path output;

  @Override
  public Integer call() {
    if (zeroShot && onnx != null) {
      throw new IllegalArgumentException("--zero-shot scores on DJL; drop --onnx");
    }
    Dataset d = data.open();
    Run first = run != null ? TrecRuns.read(run, d.queries()::containsKey) : d.firstStage();
    if (first == null) {
      throw new IllegalArgumentException("dataset " + d.name() + " has no first-stage run; give"
          + " --run (e.g. from 'disranker bm25 search')");
    }
    TopK pairs = TopK.of(first, k, d.queries(), d.documents());
    List<String> qs = pairs.queries();
    List<String> ds = pairs.documents();
    long t0 = System.nanoTime();
    float[] scores;
    if (zeroShot && Models.isBiEncoder(model)) {
      BiEncoder.Spec spec = BiEncoder.Spec.named(model);
      if (pooling != null) {
        spec = spec.withPooling(BiEncoder.Pooling.valueOf(pooling.toUpperCase(Locale.ROOT)));
      }
      try (BiEncoder b = new BiEncoder(spec, maxLength, threads)) {
        scores = b.score(qs, ds);
      }
      return finish(pairs, scores, t0);
    }
    if (perQuery) {
      if (onnx == null || !java.nio.file.Files.isDirectory(Path.of(model))) {
        throw new IllegalArgumentException("--per-query scores a student folder's ONNX model:"
            + " give --model FOLDER and --onnx FILE");
      }
      return finish(pairs, perQuery(pairs), t0);
    }
    BertCheckpoint ckpt = Models.load(model, null);
    try (PairTokenizer tok = new PairTokenizer(ckpt.tokenizerJson(), maxLength)) {
      if (onnx != null) {
        try (OnnxScorer s = OnnxScorer.load(onnx, threads)) {
          scores = PairScorer.scoreAll(s, tok, qs, ds, batch, "rerank");
        }
      } else {
        try (BertModel m = BertModel.create(ckpt, Devices.best())) {
          scores = zeroShot ? new MeanPoolScorer(m, tok).score(qs, ds, batch)
              : PairScorer.scoreAll(new DjlScorer(m), tok, qs, ds, batch, "rerank");
        }
      }
    }
    return finish(pairs, scores, t0);
  }

  /** Scores query by query through the scorer that Spark and pool scoring use. */
  private float[] perQuery(TopK pairs) {
    float[] scores = new float[pairs.size()];
    ScorerSpec spec = ScorerSpec.student(model, onnx.toAbsolutePath().toString(), maxLength,
        batch, threads);
    List<PairText> all = new java.util.ArrayList<>(pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      all.add(new PairText(pairs.qids().get(i), pairs.docids().get(i), pairs.queries().get(i),
          "", pairs.documents().get(i)));
    }
    // TopK holds each query's pairs together, so the groups in order are the pairs in order
    try (QueryScorer scorer = spec.open();
        Progress p = Progress.start("rerank", pairs.size())) {
      int from = 0;
      for (List<PairText> group : PoolScorer.byQuery(all)) {
        float[] s = scorer.scoreQuery(group);
        System.arraycopy(s, 0, scores, from, s.length);
        p.step(s.length);
        from += s.length;
      }
    }
    return scores;
  }

  private int finish(TopK pairs, float[] scores, long t0) {
    double secs = (System.nanoTime() - t0) / 1e9;
    Run out = pairs.toRun(scores, tag);
    TrecRuns.write(output, out, tag);
    System.err.printf("reranked %d pairs of %d queries in %.1fs (%.1f pairs/s) into %s%n",
        scores.length, out.queryIds().size(), secs, scores.length / secs, output);
    return 0;
  }
}
