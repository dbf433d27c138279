package org.disranker.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The rerank HTTP service, on Netty's non-blocking HTTP/1.1 server.
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
 * <p>No thread waits on a client: a few event-loop threads read every connection, a request is
 * parsed once its body is complete and scored by the {@link MicroBatcher}, and the answer is
 * written when its scores are ready. A request whose headers and body do not arrive within the
 * read timeout is answered 408 and its connection closed; an idle keep-alive connection is
 * closed after the idle timeout; connections over the limit are closed at once. Limits are
 * checked before work is done: a declared {@code Content-Length} over the body limit is answered
 * 413 from the headers, a chunked body is cut off at the limit, and a missing or wrong API key
 * is answered 401 before the body is read.
 *
 * <p>Errors are JSON {@code {"error": ...}}: 400 malformed request, 401 missing or wrong API
 * key, 408 request not received in time, 413 body, query, document or document count over its
 * limit, 429 queue full, 503 shutting down, scoring timed out or failed, 404/405 otherwise.
 */
public final class RerankServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  /** How long a connection closed after an early answer keeps dropping the client's bytes. */
  static final long LINGER_MILLIS = 2000;

  /**
   * Limits, timeouts and access.
   *
   * @param timeoutMillis how long a request may wait for its scores (503 after)
   * @param readTimeoutMillis how long a request's headers and body may take to arrive, from its
   *     first byte (408 after)
   * @param idleTimeoutMillis how long a keep-alive connection may sit idle between requests
   * @param apiKey when not null, {@code Authorization: Bearer <apiKey>} is required on
   *     {@code /rerank}
   * @param metricsNeedKey whether {@code /metrics} requires the key too ({@code /health} never
   *     does)
   */
  public record Settings(int maxDocuments, int maxDocumentChars, int maxQueryChars,
      int maxBodyBytes, long timeoutMillis, long readTimeoutMillis, long idleTimeoutMillis,
      int maxConnections, String apiKey, boolean metricsNeedKey) {
    public Settings {
      if (maxDocuments < 1 || maxDocumentChars < 1 || maxQueryChars < 1 || maxBodyBytes < 1
          || timeoutMillis < 1 || readTimeoutMillis < 1 || idleTimeoutMillis < 1
          || maxConnections < 1) {
        throw new IllegalArgumentException("limits and timeouts must be positive");
      }
      if (apiKey != null && apiKey.isBlank()) {
        throw new IllegalArgumentException("the API key is empty");
      }
    }

    public static Settings defaults() {
      return new Settings(1000, 20_000, 4_000, 8 << 20, 30_000, 10_000, 60_000, 1024, null,
          false);
    }

    public Settings withLimits(int documents, int documentChars, int queryChars, int bodyBytes) {
      return new Settings(documents, documentChars, queryChars, bodyBytes, timeoutMillis,
          readTimeoutMillis, idleTimeoutMillis, maxConnections, apiKey, metricsNeedKey);
    }

    public Settings withTimeouts(long scoring, long read, long idle) {
      return new Settings(maxDocuments, maxDocumentChars, maxQueryChars, maxBodyBytes, scoring,
          read, idle, maxConnections, apiKey, metricsNeedKey);
    }

    public Settings withMaxConnections(int connections) {
      return new Settings(maxDocuments, maxDocumentChars, maxQueryChars, maxBodyBytes,
          timeoutMillis, readTimeoutMillis, idleTimeoutMillis, connections, apiKey,
          metricsNeedKey);
    }

    public Settings withApiKey(String key, boolean keyForMetrics) {
      return new Settings(maxDocuments, maxDocumentChars, maxQueryChars, maxBodyBytes,
          timeoutMillis, readTimeoutMillis, idleTimeoutMillis, maxConnections, key,
          keyForMetrics);
    }

    @Override
    public String toString() {
      return "Settings[documents " + maxDocuments + ", document chars " + maxDocumentChars
          + ", query chars " + maxQueryChars + ", body bytes " + maxBodyBytes + ", scoring "
          + timeoutMillis + " ms, read " + readTimeoutMillis + " ms, idle " + idleTimeoutMillis
          + " ms, connections " + maxConnections + ", api key " + (apiKey == null ? "off"
          : "on") + "]";
    }
  }

  private final String host;
  private final int requestedPort;
  private final MicroBatcher batcher;
  private final ServiceMetrics metrics;
  private final Settings settings;
  private final byte[] keyDigest;
  private final EventLoopGroup boss = new NioEventLoopGroup(1);
  private final EventLoopGroup loops;
  /** Parses request bodies off the event loop (a large body takes milliseconds of JSON). */
  private final ExecutorService parsers;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private Channel listener;
  private volatile boolean stopping;

  /**
   * @param ioThreads event-loop threads that read and write the connections (1 or 2 is plenty:
   *     they do no scoring)
   */
  public RerankServer(String host, int port, MicroBatcher batcher, ServiceMetrics metrics,
      Settings settings, int ioThreads) {
    this.host = host;
    this.requestedPort = port;
    this.batcher = batcher;
    this.metrics = metrics;
    this.settings = settings;
    this.keyDigest = settings.apiKey() == null ? null : sha256(settings.apiKey());
    this.loops = new NioEventLoopGroup(Math.max(1, ioThreads));
    this.parsers = Executors.newFixedThreadPool(Math.max(1, ioThreads), r -> {
      Thread t = new Thread(r, "disranker-parse");
      t.setDaemon(true);
      return t;
    });
    metrics.openConnections(open::get);
  }

  /** Binds the port and starts answering. */
  public void start() throws IOException {
    ServerBootstrap b = new ServerBootstrap().group(boss, loops)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            Connection c = new Connection();
            ch.pipeline()
                .addLast(new IdleStateHandler(0, 0, settings.idleTimeoutMillis(),
                    TimeUnit.MILLISECONDS))
                .addLast(c.firstByte)
                .addLast(new HttpServerCodec(4096, 16 << 10, 64 << 10))
                .addLast(c);
          }
        });
    try {
      listener = b.bind(new InetSocketAddress(host, requestedPort)).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding " + host + ":" + requestedPort, e);
    } catch (Exception e) {
      throw new IOException("cannot listen on " + host + ":" + requestedPort + ": "
          + e.getMessage(), e);
    }
  }

  /** The port the server listens on (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
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

  /** One connection's state; all of it is touched on the connection's event loop only. */
  private final class Connection extends ChannelInboundHandlerAdapter {
    /** Sits before the HTTP decoder and starts the read deadline on a request's first byte. */
    final ChannelInboundHandlerAdapter firstByte = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (deadline == null && !busy && !draining) {
          // answered through the Connection's context, after the HTTP encoder
          deadline = ctx.executor().schedule(() -> readTimedOut(self),
              settings.readTimeoutMillis(), TimeUnit.MILLISECONDS);
        }
        ctx.fireChannelRead(msg);
      }
    };
    private ScheduledFuture<?> deadline;
    private ChannelHandlerContext self;
    private HttpRequest request;
    private String path;
    private ByteBuf body;
    private boolean busy;
    private boolean refusedAtOpen;
    /** A pipelined request arrived while one was being answered: close after the answer. */
    private boolean pipelined;
    /** An answer with Connection: close went out; what still arrives is dropped. */
    private boolean draining;
    private long started;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      self = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (open.incrementAndGet() > settings.maxConnections()) {
        refusedAtOpen = true;
        metrics.refusedConnection();
        ctx.close();
        return;
      }
      ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open.decrementAndGet();
      cancelDeadline();
      releaseBody();
      ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent && (draining
          || (!busy && request == null && deadline == null))) {
        ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (refusedAtOpen || draining) {
          return;
        }
        if (busy) {
          // HTTP pipelining is not supported: answer the current request, then close.
          pipelined |= msg instanceof HttpRequest;
          return;
        }
        if (msg instanceof HttpRequest req) {
          begin(ctx, req);
        }
        if (msg instanceof HttpContent c && request != null) {
          ByteBuf part = c.content();
          if (body.readableBytes() + part.readableBytes() > settings.maxBodyBytes()) {
            finish(ctx, 413, error("request body exceeds the limit of "
                + settings.maxBodyBytes() + " bytes"), false);
            return;
          }
          body.writeBytes(part);
          if (c instanceof LastHttpContent) {
            complete(ctx);
          }
        }
      } finally {
        io.netty.util.ReferenceCountUtil.release(msg);
      }
    }

    /** A request's headers: everything that can be refused from them is refused here. */
    private void begin(ChannelHandlerContext ctx, HttpRequest req) {
      started = System.nanoTime();
      request = req;
      path = new QueryStringDecoder(req.uri()).path();
      body = Unpooled.buffer(0);
      if (!req.decoderResult().isSuccess()) {
        Throwable why = req.decoderResult().cause();
        finish(ctx, why instanceof TooLongFrameException ? 431 : 400,
            error("malformed HTTP request: " + why.getMessage()), false);
        return;
      }
      boolean rerank = path.equals("/rerank");
      if ((rerank || (path.equals("/metrics") && settings.metricsNeedKey()))
          && keyDigest != null && !authorized(req)) {
        metrics.authFailure();
        finish(ctx, 401, error("missing or wrong API key: send 'Authorization: Bearer <key>'"),
            false);
        return;
      }
      long declared = HttpUtil.getContentLength(req, -1L);
      if (declared > settings.maxBodyBytes()) {
        finish(ctx, 413, error("request body of " + declared + " bytes exceeds the limit of "
            + settings.maxBodyBytes() + " bytes"), false);
        return;
      }
      if (rerank && stopping) {
        finish(ctx, 503, error("the service is shutting down"), false);
        return;
      }
      if (HttpUtil.is100ContinueExpected(req)) {
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.CONTINUE));
      }
    }

    /** The whole request has arrived: answer it. */
    private void complete(ChannelHandlerContext ctx) {
      cancelDeadline();
      busy = true;
      ctx.channel().config().setAutoRead(false);
      HttpMethod method = request.method();
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      switch (path) {
        case "/rerank" -> {
          if (!method.equals(HttpMethod.POST)) {
            finish(ctx, 405, error("use POST with a JSON body"), keepAlive);
            return;
          }
          byte[] raw = new byte[body.readableBytes()];
          body.readBytes(raw);
          releaseBody();
          inFlight.incrementAndGet();
          CompletableFuture.supplyAsync(() -> prepare(raw), parsers)
              .thenCompose(p -> scoreAsync(p).thenApply(s -> render(p, s)))
              .whenComplete((answer, failure) -> ctx.executor().execute(() -> {
                Throwable f = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
                if (f == null) {
                  finish(ctx, 200, answer, keepAlive);
                } else if (f instanceof HttpError e) {
                  finish(ctx, e.status, error(e.getMessage()), keepAlive);
                } else {
                  finish(ctx, 503, error("scoring failed: " + f), keepAlive);
                }
                inFlight.decrementAndGet();
              }));
        }
        case "/health" -> {
          if (!method.equals(HttpMethod.GET)) {
            finish(ctx, 405, error("use GET"), keepAlive);
          } else {
            finish(ctx, stopping ? 503 : 200, stopping ? "{\"status\":\"stopping\"}"
                : "{\"status\":\"ok\"}", keepAlive);
          }
        }
        case "/metrics" -> {
          if (!method.equals(HttpMethod.GET)) {
            finish(ctx, 405, error("use GET"), keepAlive);
          } else {
            write(ctx, 200, "text/plain; version=0.0.4", metrics.render(), keepAlive);
          }
        }
        default -> finish(ctx, 404, error("not found: " + request.uri()), keepAlive);
      }
    }

    private void readTimedOut(ChannelHandlerContext ctx) {
      deadline = null;
      if (busy || !ctx.channel().isActive()) {
        return;
      }
      metrics.readTimeout();
      if (request == null) {
        // Not even the headers came: nothing to answer to.
        ctx.close();
        return;
      }
      finish(ctx, 408, error("the request did not arrive within "
          + settings.readTimeoutMillis() + " ms"), false);
    }

    /** Answers the current request with JSON; closes unless {@code keepAlive}. */
    private void finish(ChannelHandlerContext ctx, int status, String json, boolean keepAlive) {
      if (path != null && path.equals("/rerank")) {
        metrics.request(status, (System.nanoTime() - started) / 1e9);
      }
      write(ctx, status, "application/json", json, keepAlive);
    }

    private void write(ChannelHandlerContext ctx, int status, String type, String text,
        boolean keepAlive) {
      cancelDeadline();
      releaseBody();
      busy = true;
      byte[] b = text.getBytes(StandardCharsets.UTF_8);
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(b));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, b.length);
      if (status == 429 || status == 503) {
        r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
      }
      if (status == 401) {
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
      }
      boolean keep = keepAlive && !stopping && !pipelined;
      r.headers().set(HttpHeaderNames.CONNECTION, keep ? HttpHeaderValues.KEEP_ALIVE
          : HttpHeaderValues.CLOSE);
      request = null;
      path = null;
      if (!keep) {
        ctx.writeAndFlush(r).addListener(f -> linger(ctx));
        return;
      }
      ctx.writeAndFlush(r).addListener(f -> {
        busy = false;
        ctx.channel().config().setAutoRead(true);
      });
    }

    /**
     * Closes after an answer without reading the rest of the request (a body over the limit, a
     * wrong key): stop writing, then read and drop what the client still sends for a moment, so
     * that the client reads the answer instead of a connection reset.
     */
    private void linger(ChannelHandlerContext ctx) {
      draining = true;
      if (ctx.channel() instanceof SocketChannel sc && sc.isActive()) {
        sc.shutdownOutput();
        sc.config().setAutoRead(true);
        ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
      } else {
        ctx.close();
      }
    }

    private void cancelDeadline() {
      if (deadline != null) {
        deadline.cancel(false);
        deadline = null;
      }
    }

    private void releaseBody() {
      if (body != null) {
        body.release();
        body = null;
      }
    }
  }

  private boolean authorized(HttpRequest req) {
    String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    // Digests of equal length, compared in constant time: neither the key nor its length leaks.
    return MessageDigest.isEqual(sha256(h.substring(7).trim()), keyDigest);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A parsed, checked rerank request. */
  record Prepared(String query, List<String> docs, boolean tei, int topN, boolean rawScores,
      boolean withText) {}

  private CompletableFuture<float[]> scoreAsync(Prepared p) {
    try {
      return batcher.submit(p.query(), p.docs())
          .orTimeout(settings.timeoutMillis(), TimeUnit.MILLISECONDS)
          .exceptionallyCompose(e -> {
            Throwable c = e instanceof CompletionException && e.getCause() != null
                ? e.getCause() : e;
            return CompletableFuture.failedFuture(c instanceof TimeoutException
                ? new HttpError(503, "scoring timed out after " + settings.timeoutMillis()
                    + " ms")
                : new HttpError(503, "scoring failed: " + c.getMessage()));
          });
    } catch (MicroBatcher.QueueFullException e) {
      return CompletableFuture.failedFuture(new HttpError(429, e.getMessage()
          + "; retry later"));
    } catch (MicroBatcher.ShuttingDownException e) {
      return CompletableFuture.failedFuture(new HttpError(503, e.getMessage()));
    }
  }

  /** Parses and checks one request body; throws (wrapped) {@link HttpError} for the client. */
  Prepared prepare(byte[] raw) {
    try {
      return parse(raw);
    } catch (HttpError e) {
      throw new CompletionException(e);
    }
  }

  private Prepared parse(byte[] raw) throws HttpError {
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
    if (q.asText().length() > settings.maxQueryChars()) {
      throw new HttpError(413, "field 'query' has " + q.asText().length()
          + " characters, over the limit of " + settings.maxQueryChars());
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
      throw new HttpError(413, "field '" + listField + "' has " + list.size()
          + " documents, over the limit of " + settings.maxDocuments());
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
    return new Prepared(q.asText(), docs, tei, topN,
        tei && req.path("raw_scores").asBoolean(false),
        tei ? req.path("return_text").asBoolean(false)
            : req.path("return_documents").asBoolean(false));
  }

  /** The answer to a prepared request, best first. */
  static String render(Prepared p, float[] s) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < s.length; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingDouble((Integer i) -> -s[i]).thenComparingInt(i -> i));
    try {
      if (p.tei()) {
        ArrayNode out = JSON.createArrayNode();
        for (int i : order.subList(0, p.topN())) {
          ObjectNode r = out.addObject();
          r.put("index", i);
          r.put("score", p.rawScores() ? s[i] : sigmoid(s[i]));
          if (p.withText()) {
            r.put("text", p.docs().get(i));
          }
        }
        return JSON.writeValueAsString(out);
      }
      ObjectNode out = JSON.createObjectNode();
      ArrayNode results = out.putArray("results");
      for (int i : order.subList(0, p.topN())) {
        ObjectNode r = results.addObject();
        r.put("index", i);
        r.put("relevance_score", sigmoid(s[i]));
        if (p.withText()) {
          r.putObject("document").put("text", p.docs().get(i));
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

  /**
   * Graceful shutdown: health turns 503 and new rerank requests are refused with 503; requests
   * in flight are answered (up to the scoring timeout); then the batcher, the listener and the
   * event loops stop.
   */
  @Override
  public void close() {
    stopping = true;
    long end = System.nanoTime() + settings.timeoutMillis() * 1_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() < end) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    batcher.close();
    if (listener != null) {
      listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    parsers.shutdownNow();
  }
}
