package org.disranker.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.tokenize.PairTokenizer;
import org.disranker.serve.MicroBatcher;
import org.disranker.serve.OnnxScorer;
import org.disranker.serve.RerankServer;
import org.disranker.serve.ServiceMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code disranker serve}: the rerank HTTP service. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Serve a student over HTTP: POST /rerank (Cohere {query, documents, top_n,"
        + " return_documents} or TEI {query, texts, raw_scores, return_text}), GET /health,"
        + " GET /metrics (Prometheus). Concurrent requests are micro-batched; a full queue"
        + " answers 429; SIGTERM or Ctrl-C drains the queue and stops."})
public final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", required = true,
      description = "Student folder (its tokenizer.json is used)")
  String model;

  @Option(names = "--onnx", required = true, description = "ONNX model (model.onnx or"
      + " model.int8.onnx)")
  Path onnx;

  @Option(names = "--host", defaultValue = "127.0.0.1") String host;

  @Option(names = "--port", defaultValue = "8080") int port;

  @Option(names = "--max-batch", defaultValue = "48", description = "Pairs per scored batch")
  int maxBatch;

  @Option(names = "--window", defaultValue = "192", description = "Pairs taken off the queue"
      + " together and sorted by length before they are cut into batches (>= --max-batch)")
  int window;

  @Option(names = "--max-wait-ms", defaultValue = "2",
      description = "How long a batch waits for more pairs once it has one")
  long maxWait;

  @Option(names = "--queue", defaultValue = "4096", description = "Pairs that may wait")
  int queue;

  @Option(names = "--max-documents", defaultValue = "1000") int maxDocuments;

  @Option(names = "--max-chars", defaultValue = "20000",
      description = "Characters per document at most")
  int maxChars;

  @Option(names = "--max-length", defaultValue = "256", description = "Tokens per pair")
  int maxLength;

  @Option(names = "--threads", defaultValue = "0",
      description = "ONNX Runtime intra-op threads (0: one per core)")
  int threads;

  @Option(names = "--max-query-chars", defaultValue = "4000",
      description = "Characters in the query at most")
  int maxQueryChars;

  @Option(names = "--max-body-bytes", defaultValue = "8388608",
      description = "Request body bytes at most; a larger Content-Length is refused at once")
  int maxBodyBytes;

  @Option(names = "--timeout-ms", defaultValue = "30000",
      description = "How long a request may wait for its scores (then 503)")
  long timeoutMs;

  @Option(names = "--read-timeout-ms", defaultValue = "10000",
      description = "How long a request's headers and body may take to arrive (then 408)")
  long readTimeoutMs;

  @Option(names = "--idle-timeout-ms", defaultValue = "60000",
      description = "How long an idle keep-alive connection stays open")
  long idleTimeoutMs;

  @Option(names = "--max-connections", defaultValue = "1024",
      description = "Open connections at most; more are closed at once")
  int maxConnections;

  @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on /rerank;"
      + " default: the DISRANKER_API_KEY environment variable if set (keeps the key out of ps)")
  String apiKey;

  @Option(names = "--metrics-auth", description = "/metrics needs the API key too (/health"
      + " never does)")
  boolean metricsAuth;

  @Option(names = "--http-threads", defaultValue = "2",
      description = "Threads that read and write connections (they do no scoring)")
  int httpThreads;

  @Override
  public Integer call() throws Exception {
    // settings first: a bad key or limit is refused before the model is loaded
    // an empty environment variable means unset; an empty --api-key is refused by Settings
    String env = System.getenv("DISRANKER_API_KEY");
    String key = apiKey != null ? apiKey : env == null || env.isEmpty() ? null : env;
    if (metricsAuth && key == null) {
      throw new IllegalArgumentException("--metrics-auth needs an API key (--api-key or"
          + " DISRANKER_API_KEY)");
    }
    RerankServer.Settings settings = RerankServer.Settings.defaults()
        .withLimits(maxDocuments, maxChars, maxQueryChars, maxBodyBytes)
        .withTimeouts(timeoutMs, readTimeoutMs, idleTimeoutMs)
        .withMaxConnections(maxConnections)
        .withApiKey(key, metricsAuth);
    BertCheckpoint ckpt = Models.load(model, null);
    ServiceMetrics metrics = new ServiceMetrics();
    CountDownLatch stopped = new CountDownLatch(1);
    try (OnnxScorer scorer = OnnxScorer.load(onnx, threads);
        PairTokenizer tok = new PairTokenizer(ckpt.tokenizerJson(), maxLength)) {
      MicroBatcher batcher = new MicroBatcher(scorer, tok, maxBatch, window, maxWait, queue,
          metrics);
      RerankServer server = new RerankServer(host, port, batcher, metrics, settings,
          httpThreads);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        System.err.println("shutting down: draining queued requests");
        server.close();
        stopped.countDown();
      }));
      server.start();
      System.err.printf("serving %s on http://%s:%d (POST /rerank, GET /health, GET /metrics);"
          + " %s%n", onnx, host, server.port(), settings);
      stopped.await();
    }
    return 0;
  }
}
