package org.disranker.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The rerank HTTP service.
 *
 * <ul>
 *   <li>{@code POST /rerank} takes either request shape: Cohere's {@code {query, documents,
 *       top_n, return_documents}} (documents as strings or {@code {text}} objects), answered
 *       {@code {results: [{index, relevance_score, document?}]}}; or text-embeddings-inference's
 *       {@code {query, texts, raw_scores, return_text}}, answered {@code [{index, score,
 *       text?}]}. Results are sorted by score, best first. Cohere's {@code relevance_score} and
 *       TEI's {@code score} without {@code raw_scores} are the sigmoid of the model's logit.
 *   <li>{@code GET /health}, {@code GET /metrics} (Prometheus text).
 * </ul>
 *
 * Errors are JSON {@code {"error": ...}}: 400 malformed request, 413 too many documents or too
 * long a document, 429 queue full, 503 shutting down or scoring failed, 404/405 otherwise.
 */
public final class RerankServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Limits and batching settings. */
  public record Settings(int maxDocuments, int maxDocumentChars, int maxBodyBytes,
      long timeoutMillis) {
    public static Settings defaults() {
      return new Settings(1000, 20_000, 8 << 20, 30_000);
    }
  }

  private final HttpServer server;
  private final MicroBatcher batcher;
  private final ServiceMetrics metrics;
  private final Settings settings;
  private final ExecutorService pool;
  private volatile boolean stopping;

  public RerankServer(String host, int port, MicroBatcher batcher, ServiceMetrics metrics,
      Settings settings, int threads) throws IOException {
    this.batcher = batcher;
    this.metrics = metrics;
    this.settings = settings;
    this.server = HttpServer.create(new InetSocketAddress(host, port), 256);
    this.pool = Executors.newFixedThreadPool(threads);
    server.setExecutor(pool);
    server.createContext("/rerank", this::rerank);
    server.createContext("/health", ex -> {
      if (!ex.getRequestMethod().equals("GET")) {
        send(ex, 405, error("use GET"));
        return;
      }
      send(ex, stopping ? 503 : 200, stopping ? "{\"status\":\"stopping\"}"
          : "{\"status\":\"ok\"}");
    });
    server.createContext("/metrics", ex -> {
      byte[] body = metrics.render().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    });
    server.createContext("/", ex -> send(ex, 404, error("not found: " + ex.getRequestURI())));
  }

  public void start() {
    server.start();
  }

  /** The port the server listens on (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** A client-facing error: HTTP status and message. */
  static final class HttpError extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    HttpError(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private void rerank(HttpExchange ex) throws IOException {
    long t0 = System.nanoTime();
    int status;
    String body;
    try {
      if (!ex.getRequestMethod().equals("POST")) {
        throw new HttpError(405, "use POST with a JSON body");
      }
      if (stopping) {
        throw new HttpError(503, "the service is shutting down");
      }
      body = handle(readBody(ex));
      status = 200;
    } catch (HttpError e) {
      status = e.status;
      body = error(e.getMessage());
    }
    send(ex, status, body);
    metrics.request(status, (System.nanoTime() - t0) / 1e9);
  }

  private byte[] readBody(HttpExchange ex) throws IOException, HttpError {
    try (InputStream in = ex.getRequestBody()) {
      byte[] b = in.readNBytes(settings.maxBodyBytes() + 1);
      if (b.length > settings.maxBodyBytes()) {
        throw new HttpError(413, "request body exceeds " + settings.maxBodyBytes() + " bytes");
      }
      return b;
    }
  }

  /** Parses, scores and answers one request body. */
  String handle(byte[] raw) throws HttpError {
    JsonNode req;
    try {
      req = JSON.readTree(raw);
    } catch (IOException e) {
      throw new HttpError(400, "malformed JSON: " + e.getMessage().split("\n")[0]);
    }
    if (req == null || !req.isObject()) {
      throw new HttpError(400, "the body must be a JSON object");
    }
    JsonNode q = req.get("query");
    if (q == null || !q.isTextual() || q.asText().isBlank()) {
      throw new HttpError(400, "field 'query' (a non-empty string) is required");
    }
    boolean tei = req.has("texts");
    String listField = tei ? "texts" : "documents";
    JsonNode list = req.get(listField);
    if (list == null || !list.isArray()) {
      throw new HttpError(400, "field 'documents' (Cohere) or 'texts' (TEI), an array, is"
          + " required");
    }
    if (list.isEmpty()) {
      throw new HttpError(400, "field '" + listField + "' is empty");
    }
    if (list.size() > settings.maxDocuments()) {
      throw new HttpError(413, list.size() + " documents exceed the limit of "
          + settings.maxDocuments());
    }
    List<String> docs = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      JsonNode d = list.get(i);
      String text = d.isTextual() ? d.asText() : d.isObject() && d.path("text").isTextual()
          ? d.get("text").asText() : null;
      if (text == null) {
        throw new HttpError(400, listField + "[" + i + "] must be a string"
            + (tei ? "" : " or an object with a 'text' string"));
      }
      if (text.length() > settings.maxDocumentChars()) {
        throw new HttpError(413, listField + "[" + i + "] has " + text.length()
            + " characters, over the limit of " + settings.maxDocumentChars());
      }
      docs.add(text);
    }
    int topN = docs.size();
    if (req.has("top_n")) {
      if (!req.get("top_n").canConvertToInt() || req.get("top_n").asInt() < 1) {
        throw new HttpError(400, "top_n must be a positive integer");
      }
      topN = Math.min(topN, req.get("top_n").asInt());
    }
    float[] scores;
    try {
      scores = batcher.submit(q.asText(), docs).get(settings.timeoutMillis(),
          TimeUnit.MILLISECONDS);
    } catch (MicroBatcher.QueueFullException e) {
      throw new HttpError(429, e.getMessage() + "; retry later");
    } catch (TimeoutException e) {
      throw new HttpError(503, "scoring timed out");
    } catch (ExecutionException e) {
      throw new HttpError(503, "scoring failed: " + e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HttpError(503, "interrupted");
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      order.add(i);
    }
    final float[] s = scores;
    order.sort(Comparator.comparingDouble((Integer i) -> -s[i]).thenComparingInt(i -> i));
    try {
      if (tei) {
        boolean rawScores = req.path("raw_scores").asBoolean(false);
        boolean withText = req.path("return_text").asBoolean(false);
        ArrayNode out = JSON.createArrayNode();
        for (int i : order.subList(0, topN)) {
          ObjectNode r = out.addObject();
          r.put("index", i);
          r.put("score", rawScores ? s[i] : sigmoid(s[i]));
          if (withText) {
            r.put("text", docs.get(i));
          }
        }
        return JSON.writeValueAsString(out);
      }
      boolean withDocs = req.path("return_documents").asBoolean(false);
      ObjectNode out = JSON.createObjectNode();
      ArrayNode results = out.putArray("results");
      for (int i : order.subList(0, topN)) {
        ObjectNode r = results.addObject();
        r.put("index", i);
        r.put("relevance_score", sigmoid(s[i]));
        if (withDocs) {
          r.putObject("document").put("text", docs.get(i));
        }
      }
      return JSON.writeValueAsString(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static double sigmoid(float x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  static String error(String message) {
    try {
      return JSON.writeValueAsString(JSON.createObjectNode().put("error", message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    if (status == 429) {
      ex.getResponseHeaders().set("Retry-After", "1");
    }
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  /**
   * Graceful shutdown: health turns 503, new requests are refused, requests in flight finish
   * (up to {@code graceSeconds}), then the listener and the workers stop.
   */
  @Override
  public void close() {
    stopping = true;
    batcher.close();
    server.stop(1);
    pool.shutdown();
    try {
      pool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
