package org.disranker.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import org.junit.jupiter.api.Timeout;

/** The service over loopback HTTP, with scorers whose answers are known. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RerankServerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  RerankServer server;
  MicroBatcher batcher;
  ServiceMetrics metrics;
  PairTokenizer tok;
  final List<Socket> sockets = new ArrayList<>();

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

  /** SUM, once {@code release} opens (at most 10 s); {@code busy} opens when a batch is held. */
  static PairScorer blockingUntil(CountDownLatch busy, CountDownLatch release) {
    return b -> {
      busy.countDown();
      await(release);
      return SUM.score(b);
    };
  }

  static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  void start(PairScorer scorer, int maxBatch, int capacity, RerankServer.Settings settings)
      throws Exception {
    tok = new PairTokenizer(BertCheckpoint.minilmTokenizer(), 64);
    metrics = new ServiceMetrics();
    batcher = new MicroBatcher(scorer, tok, maxBatch, 2, capacity, metrics);
    server = new RerankServer("127.0.0.1", 0, batcher, metrics, settings, 2);
    server.start();
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
    if (tok != null) {
      tok.close();
    }
  }

  HttpResponse<String> post(String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url("/rerank")))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  CompletableFuture<HttpResponse<String>> postAsync(String body) {
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url("/rerank")))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  float expected(String q, String d) {
    return SUM.score(Batch.of(List.of(tok.encode(q, d))))[0];
  }

  /** Indices of {@code docs} by the SUM scorer's score for {@code q}, best first. */
  int[] expectedOrder(String q, String[] docs) {
    Integer[] idx = new Integer[docs.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, b) -> {
      int c = Float.compare(expected(q, docs[b]), expected(q, docs[a]));
      return c != 0 ? c : Integer.compare(a, b);
    });
    return java.util.Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
  }

  static boolean hasToken(Batch b, long id) {
    for (long x : b.ids()) {
      if (x == id) {
        return true;
      }
    }
    return false;
  }

  Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", server.port());
    s.setSoTimeout(10_000);
    sockets.add(s);
    return s;
  }

  /** What the server sent until it closed the connection or went quiet for the timeout. */
  static String readAll(Socket s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      // keep what arrived
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static final String[] DOCS = {"a", "zebra zebra zebra", "mid text", "lift comes from wings"};

  @Test
  void cohereShapeIsSortedAndHonoursTopNAndReturnDocuments() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults());
    HttpResponse<String> r = post("{\"query\": \"what is lift\", \"documents\": [\"a\","
        + " {\"text\": \"zebra zebra zebra\"}, \"mid text\", \"lift comes from wings\"],"
        + " \"top_n\": 3, \"return_documents\": true}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode res = JSON.readTree(r.body()).get("results");
    int[] order = expectedOrder("what is lift", DOCS);
    assertEquals(3, res.size());
    for (int k = 0; k < 3; k++) {
      JsonNode x = res.get(k);
      assertEquals(order[k], x.get("index").asInt(), r.body());
      assertEquals(DOCS[order[k]], x.get("document").get("text").asText());
      assertEquals(RerankServer.sigmoid(expected("what is lift", DOCS[order[k]])),
          x.get("relevance_score").asDouble(), 1e-9);
    }
    JsonNode plain = JSON.readTree(post("{\"query\": \"what is lift\", \"documents\": [\"a\","
        + " \"zebra zebra zebra\", \"mid text\", \"lift comes from wings\"]}").body())
        .get("results");
    assertEquals(4, plain.size());
    for (int k = 0; k < 4; k++) {
      assertEquals(order[k], plain.get(k).get("index").asInt());
      assertTrue(plain.get(k).get("document") == null, "no documents unless asked");
    }
  }

  @Test
  void teiShapeIsSortedWithIndicesAndScores() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults());
    String texts = "[\"a\", \"zebra zebra zebra\", \"mid text\", \"lift comes from wings\"]";
    JsonNode raw = JSON.readTree(post("{\"query\": \"q\", \"texts\": " + texts
        + ", \"raw_scores\": true, \"return_text\": true}").body());
    JsonNode sig = JSON.readTree(post("{\"query\": \"q\", \"texts\": " + texts + "}").body());
    int[] order = expectedOrder("q", DOCS);
    assertEquals(4, raw.size());
    assertEquals(4, sig.size());
    for (int k = 0; k < 4; k++) {
      int i = order[k];
      assertEquals(i, raw.get(k).get("index").asInt());
      assertEquals(DOCS[i], raw.get(k).get("text").asText());
      assertEquals(expected("q", DOCS[i]), raw.get(k).get("score").asDouble(), 1e-6);
      assertEquals(i, sig.get(k).get("index").asInt());
      assertEquals(RerankServer.sigmoid(expected("q", DOCS[i])),
          sig.get(k).get("score").asDouble(), 1e-7);
      assertTrue(sig.get(k).get("text") == null);
    }
  }

  @Test
  void badRequestsGetClearJsonErrors() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults().withLimits(3, 50, 100, 1 << 20));
    Object[][] cases = {
      {"{not json", 400, "malformed JSON"},
      {"[1]", 400, "JSON object"},
      {"{\"documents\": [\"a\"]}", 400, "'query'"},
      {"{\"query\": \"q\", \"documents\": []}", 400, "is empty"},
      {"{\"query\": \"q\"}", 400, "'documents' (Cohere) or 'texts' (TEI)"},
      {"{\"query\": \"q\", \"documents\": [\"a\", \"b\", \"c\", \"d\"]}", 413, "limit of 3"},
      {"{\"query\": \"q\", \"documents\": [\"" + "x".repeat(51) + "\"]}", 413, "characters"},
      {"{\"query\": \"" + "q".repeat(101) + "\", \"documents\": [\"a\"]}", 413,
          "field 'query' has 101 characters"},
      {"{\"query\": \"q\", \"documents\": [7]}", 400, "documents[0] must be a string"},
      {"{\"query\": \"q\", \"documents\": [\"a\"], \"top_n\": 0}", 400, "top_n"},
    };
    for (Object[] c : cases) {
      HttpResponse<String> r = post((String) c[0]);
      assertEquals(c[1], r.statusCode(), (String) c[0]);
      assertTrue(JSON.readTree(r.body()).get("error").asText().contains((String) c[2]),
          r.body());
    }
    assertEquals(405, get("/rerank").statusCode());
    assertEquals(404, get("/nothing").statusCode());
    assertEquals(405, HTTP.send(HttpRequest.newBuilder(URI.create(url("/health")))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  @Test
  void aMegabyteQueryIsRefusedWith413() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults());
    HttpResponse<String> r = post("{\"query\": \"" + "x".repeat(1 << 20)
        + "\", \"documents\": [\"a\"]}");
    assertEquals(413, r.statusCode());
    assertTrue(JSON.readTree(r.body()).get("error").asText().contains("'query'"), r.body());
  }

  @Test
  void aDeclaredOversizedBodyIsRefusedFromItsHeaders() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults());
    Socket s = connect();
    long t0 = System.nanoTime();
    OutputStream out = s.getOutputStream();
    out.write(("POST /rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: 67108864\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(new byte[64 << 10]);
    out.flush();
    byte[] head = s.getInputStream().readNBytes(12);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals("HTTP/1.1 413", new String(head, StandardCharsets.US_ASCII));
    assertTrue(seconds < 1.0, "413 took " + seconds + " s");
    assertTrue(readAll(s).contains("67108864 bytes exceeds the limit"));
  }

  @Test
  void aChunkedBodyIsCutOffAtTheLimit() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults().withLimits(1000, 20_000, 4000, 1000));
    Socket s = connect();
    OutputStream out = s.getOutputStream();
    out.write(("POST /rerank HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    for (int i = 0; i < 3; i++) {
      out.write(("258\r\n" + "x".repeat(600) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }
    out.flush();
    String answer = readAll(s);
    assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
    assertTrue(answer.contains("limit of 1000 bytes"), answer);
  }

  @Test
  void slowClientsDoNotStopOthersAndAreTimedOut() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults().withTimeouts(30_000, 1500, 60_000));
    List<Socket> slow = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Socket s = connect();
      s.getOutputStream().write(("POST /rerank HTTP/1.1\r\nHost: x\r\nContent-Length: 100000"
          + "\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      slow.add(s);
    }
    long t0 = System.nanoTime();
    HttpResponse<String> r = post("{\"query\": \"q\", \"documents\": [\"a\", \"b\", \"c\"]}");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(seconds < 2.0, "a normal request took " + seconds + " s behind slow clients");
    for (Socket s : slow) {
      String answer = readAll(s);
      assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
      assertTrue(answer.contains("did not arrive within 1500 ms"), answer);
    }
    assertTrue(metrics.render().contains("disranker_read_timeouts_total 40"));
  }

  @Test
  void idleAndSurplusConnectionsAreClosed() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults().withTimeouts(30_000, 5000, 300)
        .withMaxConnections(2));
    Socket idle = connect();
    Socket second = connect();
    Socket third = connect();
    assertEquals(-1, third.getInputStream().read(), "the third connection is closed at once");
    long t0 = System.nanoTime();
    assertEquals(-1, idle.getInputStream().read(), "an idle connection is closed");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds < 3, "idle close took " + seconds + " s");
    second.close();
    idle.close();
    assertTrue(metrics.render().contains("disranker_refused_connections_total 1"));
  }

  @Test
  void anApiKeyIsRequiredOnRerankAndCountedWhenWrong() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults().withApiKey("s3cret-key", false));
    String body = "{\"query\": \"q\", \"documents\": [\"a\"]}";
    HttpResponse<String> none = post(body);
    assertEquals(401, none.statusCode());
    assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
    assertTrue(JSON.readTree(none.body()).get("error").asText().contains("API key"));
    assertEquals(401, post(body, "Authorization", "Bearer s3cret-kez").statusCode());
    assertEquals(401, post(body, "Authorization", "Bearer s3cret-key-longer").statusCode());
    assertEquals(401, post(body, "Authorization", "Basic s3cret-key").statusCode());
    assertEquals(200, post(body, "Authorization", "Bearer s3cret-key").statusCode());
    assertEquals(200, get("/health").statusCode());
    assertEquals(200, get("/metrics").statusCode());
    assertEquals(4, metrics.authFailures());
    assertTrue(get("/metrics").body().contains("disranker_auth_failures_total 4"));
  }

  @Test
  void metricsCanBePutBehindTheKey() throws Exception {
    start(SUM, 8, 1000, RerankServer.Settings.defaults().withApiKey("k", true));
    assertEquals(401, get("/metrics").statusCode());
    assertEquals(200, get("/metrics", "Authorization", "Bearer k").statusCode());
    assertEquals(200, get("/health").statusCode());
  }

  @Test
  void aFullQueueAnswers429AndTheQueuedRequestsStillFinish() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch busy = new CountDownLatch(1);
    PairScorer blocking = blockingUntil(busy, release);
    start(blocking, 1, 4, RerankServer.Settings.defaults());
    // The worker holds one pair; four more fill the queue of four exactly.
    CompletableFuture<float[]> first = batcher.submit("q", List.of("one"));
    assertTrue(busy.await(5, TimeUnit.SECONDS));
    CompletableFuture<float[]> four = batcher.submit("q", List.of("1", "2", "3", "4"));
    assertEquals(4, batcher.queued());
    HttpResponse<String> c = post("{\"query\": \"q\", \"documents\": [\"late\"]}");
    assertEquals(429, c.statusCode(), c.body());
    assertEquals("1", c.headers().firstValue("Retry-After").orElse(""));
    release.countDown();
    assertEquals(1, first.get(10, TimeUnit.SECONDS).length);
    assertEquals(4, four.get(10, TimeUnit.SECONDS).length);
    assertEquals(200, post("{\"query\": \"q\", \"documents\": [\"now\"]}").statusCode());
    String m = get("/metrics").body();
    assertTrue(m.contains("disranker_requests_total{status=\"429\"} 1"), m);
    assertTrue(m.contains("disranker_requests_total{status=\"200\"} 1"), m);
    assertTrue(m.contains("disranker_batch_size_count 6"), m);
  }

  @Test
  void scoringTimeoutsAndFailuresAnswer503() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    long[] ids = new long[2];
    PairScorer failing = b -> {
      if (hasToken(b, ids[0])) {
        throw new IllegalStateException("the model broke");
      }
      if (hasToken(b, ids[1])) {
        await(release);
      }
      return SUM.score(b);
    };
    start(failing, 1, 100, RerankServer.Settings.defaults().withTimeouts(300, 5000, 60_000));
    ids[0] = tok.tokens("boom")[0];
    ids[1] = tok.tokens("slow")[0];
    HttpResponse<String> boom = post("{\"query\": \"q\", \"documents\": [\"boom\"]}");
    assertEquals(503, boom.statusCode());
    assertTrue(boom.body().contains("the model broke"), boom.body());
    HttpResponse<String> slow = post("{\"query\": \"q\", \"documents\": [\"slow\"]}");
    assertEquals(503, slow.statusCode());
    assertTrue(slow.body().contains("timed out after 300 ms"), slow.body());
    release.countDown();
    assertEquals(200, post("{\"query\": \"q\", \"documents\": [\"fine\"]}").statusCode());
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
  void gracefulShutdownAnswersInFlightRequestsAndRefusesNewOnes() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch busy = new CountDownLatch(1);
    PairScorer blocking = blockingUntil(busy, release);
    start(blocking, 8, 100, RerankServer.Settings.defaults());
    HttpResponse<String> h = get("/health");
    assertEquals(200, h.statusCode());
    assertEquals("ok", JSON.readTree(h.body()).get("status").asText());
    CompletableFuture<HttpResponse<String>> inFlight = postAsync("{\"query\": \"q\","
        + " \"documents\": [\"x\", \"y\"]}");
    assertTrue(busy.await(5, TimeUnit.SECONDS));
    int port = server.port();
    RerankServer closing = server;
    server = null;
    Thread closer = new Thread(closing::close);
    closer.start();
    long deadline = System.nanoTime() + 5_000_000_000L;
    HttpResponse<String> stopping;
    do {
      stopping = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
    } while (stopping.statusCode() == 200 && System.nanoTime() < deadline);
    assertEquals(503, stopping.statusCode());
    assertEquals("stopping", JSON.readTree(stopping.body()).get("status").asText());
    HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + port + "/rerank")).POST(HttpRequest.BodyPublishers.ofString(
        "{\"query\": \"q\", \"documents\": [\"z\"]}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(503, refused.statusCode());
    assertTrue(refused.body().contains("shutting down"));
    release.countDown();
    HttpResponse<String> answered = inFlight.get(10, TimeUnit.SECONDS);
    assertEquals(200, answered.statusCode(), answered.body());
    assertEquals(2, JSON.readTree(answered.body()).get("results").size());
    closer.join(15_000);
    assertTrue(!closer.isAlive(), "close() returns once the in-flight request is answered");
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
  }

  @Test
  void aClosingBatcherRefusesWithShuttingDown() throws Exception {
    tok = new PairTokenizer(BertCheckpoint.minilmTokenizer(), 64);
    MicroBatcher b = new MicroBatcher(SUM, tok, 4, 1, 10, new ServiceMetrics());
    assertArrayEquals(new float[] {expected("q", "d")}, b.submit("q", List.of("d"))
        .get(5, TimeUnit.SECONDS));
    b.close();
    assertThrows(MicroBatcher.ShuttingDownException.class, () -> b.submit("q", List.of("d")));
  }

  @Test
  void aWindowIsSortedByLengthAndCutIntoEvenBatches() throws Exception {
    tok = new PairTokenizer(BertCheckpoint.minilmTokenizer(), 64);
    List<int[]> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    PairScorer recording = b -> {
      int[] lengths = new int[b.size()];
      for (int i = 0; i < b.size(); i++) {
        for (int j = 0; j < b.length(); j++) {
          lengths[i] += b.mask()[i * b.length() + j] != 0 ? 1 : 0;
        }
      }
      seen.add(lengths);
      return SUM.score(b);
    };
    MicroBatcher b = new MicroBatcher(recording, tok, 48, 100, 2000, 1000, new ServiceMetrics());
    List<String> docs = new ArrayList<>();
    java.util.Random rnd = new java.util.Random(7);
    for (int i = 0; i < 100; i++) {
      docs.add("word ".repeat(1 + rnd.nextInt(40)) + i);
    }
    float[] got = b.submit("a query", docs).get(10, TimeUnit.SECONDS);
    b.close();
    for (int i = 0; i < docs.size(); i++) {
      assertEquals(expected("a query", docs.get(i)), got[i], 1e-6, "score of document " + i);
    }
    assertEquals(List.of(33, 33, 34), seen.stream().map(l -> l.length).toList());
    int last = 0;
    for (int[] lengths : seen) {
      for (int l : lengths) {
        assertTrue(l >= last, "pairs are scored shortest first across the window");
        last = l;
      }
    }
  }
}
