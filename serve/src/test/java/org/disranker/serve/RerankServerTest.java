package org.disranker.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.tokenize.PairTokenizer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The service over loopback HTTP, with scorers whose answers are known. */
class RerankServerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  RerankServer server;
  PairTokenizer tok;

  /** A scorer that depends on each pair's own tokens only: sum of ids / 1e4. */
  static final PairScorer SUM = b -> {
    float[] s = new float[b.size()];
    for (int i = 0; i < b.size(); i++) {
      long sum = 0;
      for (int j = 0; j < b.length(); j++) {
        sum += b.ids()[i * b.length() + j];
      }
      s[i] = sum / 1e4f;
    }
    return s;
  };

  String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  void start(PairScorer scorer, int maxBatch, int capacity, RerankServer.Settings settings)
      throws Exception {
    tok = new PairTokenizer(BertCheckpoint.minilmTokenizer(), 64);
    ServiceMetrics metrics = new ServiceMetrics();
    MicroBatcher batcher = new MicroBatcher(scorer, tok, maxBatch, 2, capacity, metrics);
    server = new RerankServer("127.0.0.1", 0, batcher, metrics, settings, 8);
    server.start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (tok != null) {
      tok.close();
    }
  }

  HttpResponse<String> post(String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url("/rerank")))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  CompletableFuture<HttpResponse<String>> postAsync(String body) {
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url("/rerank")))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  float expected(String q, String d) {
    return SUM.score(Batch.of(List.of(tok.encode(q, d))))[0];
  }

  @Test
  void cohereShapeIsSortedAndHonoursTopNAndReturnDocuments() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults());
    HttpResponse<String> r = post("{\"query\": \"what is lift\", \"documents\": [\"a\","
        + " {\"text\": \"zebra zebra zebra\"}, \"mid text\"], \"top_n\": 2,"
        + " \"return_documents\": true}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode res = JSON.readTree(r.body()).get("results");
    assertEquals(2, res.size());
    assertTrue(res.get(0).get("relevance_score").asDouble()
        >= res.get(1).get("relevance_score").asDouble());
    int top = res.get(0).get("index").asInt();
    String[] docs = {"a", "zebra zebra zebra", "mid text"};
    assertEquals(docs[top], res.get(0).get("document").get("text").asText());
    assertEquals(RerankServer.sigmoid(expected("what is lift", docs[top])),
        res.get(0).get("relevance_score").asDouble(), 1e-9);
  }

  @Test
  void teiShapeWithRawScores() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults());
    HttpResponse<String> r = post("{\"query\": \"q\", \"texts\": [\"b\", \"a c\"],"
        + " \"raw_scores\": true, \"return_text\": true}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode arr = JSON.readTree(r.body());
    assertEquals(2, arr.size());
    for (JsonNode x : arr) {
      assertEquals(expected("q", x.get("text").asText()), x.get("score").asDouble(), 1e-6);
    }
  }

  @Test
  void badRequestsGetClearJsonErrors() throws Exception {
    start(SUM, 8, 1000, new RerankServer.Settings(3, 50, 1 << 20, 5000));
    Object[][] cases = {
      {"{not json", 400, "malformed JSON"},
      {"{\"documents\": [\"a\"]}", 400, "'query'"},
      {"{\"query\": \"q\", \"documents\": []}", 400, "is empty"},
      {"{\"query\": \"q\"}", 400, "'documents' (Cohere) or 'texts' (TEI)"},
      {"{\"query\": \"q\", \"documents\": [\"a\", \"b\", \"c\", \"d\"]}", 413, "limit of 3"},
      {"{\"query\": \"q\", \"documents\": [\"" + "x".repeat(51) + "\"]}", 413, "characters"},
      {"{\"query\": \"q\", \"documents\": [7]}", 400, "documents[0] must be a string"},
      {"{\"query\": \"q\", \"documents\": [\"a\"], \"top_n\": 0}", 400, "top_n"},
    };
    for (Object[] c : cases) {
      HttpResponse<String> r = post((String) c[0]);
      assertEquals(c[1], r.statusCode(), (String) c[0]);
      assertTrue(JSON.readTree(r.body()).get("error").asText().contains((String) c[2]),
          r.body());
    }
    HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(url("/rerank")))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, get.statusCode());
  }

  @Test
  void aFullQueueAnswers429AndTheQueuedRequestsStillFinish() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch busy = new CountDownLatch(1);
    PairScorer blocking = b -> {
      busy.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return SUM.score(b);
    };
    start(blocking, 1, 4, RerankServer.Settings.defaults());
    CompletableFuture<HttpResponse<String>> a = postAsync("{\"query\": \"q\", \"documents\":"
        + " [\"one\"]}");
    assertTrue(busy.await(5, TimeUnit.SECONDS));
    CompletableFuture<HttpResponse<String>> b = postAsync("{\"query\": \"q\", \"documents\":"
        + " [\"1\", \"2\", \"3\", \"4\"]}");
    long deadline = System.currentTimeMillis() + 5000;
    while (server != null && System.currentTimeMillis() < deadline) {
      HttpResponse<String> m = HTTP.send(HttpRequest.newBuilder(URI.create(url("/metrics")))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      if (m.body().contains("disranker_queue_pairs 4")) {
        break;
      }
      Thread.sleep(10);
    }
    HttpResponse<String> c = post("{\"query\": \"q\", \"documents\": [\"late\"]}");
    assertEquals(429, c.statusCode(), c.body());
    release.countDown();
    assertEquals(200, a.get(10, TimeUnit.SECONDS).statusCode());
    assertEquals(200, b.get(10, TimeUnit.SECONDS).statusCode());
    HttpResponse<String> m = HTTP.send(HttpRequest.newBuilder(URI.create(url("/metrics")))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(m.body().contains("disranker_requests_total{status=\"429\"} 1"), m.body());
    assertTrue(m.body().contains("disranker_batch_size_count"), m.body());
  }

  @Test
  void concurrentRequestsScoreExactlyAsSequentialOnes() throws Exception {
    start(SUM, 16, 10_000, RerankServer.Settings.defaults());
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      StringBuilder sb = new StringBuilder("{\"query\": \"query number " + i
          + "\", \"texts\": [");
      for (int j = 0; j < 5; j++) {
        sb.append(j == 0 ? "" : ",").append("\"document ").append(i * 7 + j).append(" about ")
            .append("word ".repeat(j)).append("\"");
      }
      bodies.add(sb.append("], \"raw_scores\": true}").toString());
    }
    List<String> sequential = new ArrayList<>();
    for (String b : bodies) {
      sequential.add(post(b).body());
    }
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (String b : bodies) {
      futures.add(postAsync(b));
    }
    for (int i = 0; i < bodies.size(); i++) {
      assertEquals(sequential.get(i), futures.get(i).get(10, TimeUnit.SECONDS).body());
    }
  }

  @Test
  void healthAndGracefulShutdown() throws Exception {
    start(SUM, 8, 100, RerankServer.Settings.defaults());
    HttpResponse<String> h = HTTP.send(HttpRequest.newBuilder(URI.create(url("/health"))).GET()
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, h.statusCode());
    assertEquals("ok", JSON.readTree(h.body()).get("status").asText());
    server.close();
    server = null;
  }
}
