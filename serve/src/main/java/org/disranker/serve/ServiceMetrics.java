package org.disranker.serve;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Counters and histograms of the rerank service, rendered in the Prometheus text format. */
public final class ServiceMetrics {
  static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
      10};
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 48, 64, 128};

  private final Map<Integer, AtomicLong> requestsByStatus = new ConcurrentHashMap<>();
  private final Histogram latency = new Histogram(LATENCY_BUCKETS);
  private final Histogram batchSize = new Histogram(BATCH_BUCKETS);
  private final AtomicLong pairsScored = new AtomicLong();
  private final AtomicLong authFailures = new AtomicLong();
  private final AtomicLong readTimeouts = new AtomicLong();
  private final AtomicLong refusedConnections = new AtomicLong();
  private volatile IntSupplierLike openConnections = () -> 0;
  private volatile IntSupplierLike queueDepth = () -> 0;

  /** A gauge source. */
  @FunctionalInterface
  public interface IntSupplierLike {
    int get();
  }

  void queueDepth(IntSupplierLike s) {
    queueDepth = s;
  }

  void openConnections(IntSupplierLike s) {
    openConnections = s;
  }

  void authFailure() {
    authFailures.incrementAndGet();
  }

  void readTimeout() {
    readTimeouts.incrementAndGet();
  }

  void refusedConnection() {
    refusedConnections.incrementAndGet();
  }

  public long authFailures() {
    return authFailures.get();
  }

  void request(int status, double seconds) {
    requestsByStatus.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
    latency.observe(seconds);
  }

  void batch(int size) {
    batchSize.observe(size);
    pairsScored.addAndGet(size);
  }

  public long requests(int status) {
    AtomicLong a = requestsByStatus.get(status);
    return a == null ? 0 : a.get();
  }

  /** The Prometheus text exposition. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("# HELP disranker_requests_total Rerank requests by HTTP status.\n");
    sb.append("# TYPE disranker_requests_total counter\n");
    requestsByStatus.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
        sb.append("disranker_requests_total{status=\"").append(e.getKey()).append("\"} ")
            .append(e.getValue().get()).append('\n'));
    latency.render(sb, "disranker_request_duration_seconds",
        "Time from receiving a rerank request to answering it.");
    batchSize.render(sb, "disranker_batch_size", "Pairs per scored batch (micro-batching).");
    sb.append("# HELP disranker_pairs_scored_total Query-document pairs scored.\n");
    sb.append("# TYPE disranker_pairs_scored_total counter\n");
    sb.append("disranker_pairs_scored_total ").append(pairsScored.get()).append('\n');
    sb.append("# HELP disranker_queue_pairs Pairs waiting to be scored.\n");
    sb.append("# TYPE disranker_queue_pairs gauge\n");
    sb.append("disranker_queue_pairs ").append(queueDepth.get()).append('\n');
    counter(sb, "disranker_auth_failures_total",
        "Requests refused for a missing or wrong API key.", authFailures.get());
    counter(sb, "disranker_read_timeouts_total",
        "Requests whose headers and body did not arrive within the read timeout.",
        readTimeouts.get());
    counter(sb, "disranker_refused_connections_total",
        "Connections closed at once because the connection limit was reached.",
        refusedConnections.get());
    sb.append("# HELP disranker_open_connections Open client connections.\n");
    sb.append("# TYPE disranker_open_connections gauge\n");
    sb.append("disranker_open_connections ").append(openConnections.get()).append('\n');
    return sb.toString();
  }

  private static void counter(StringBuilder sb, String name, String help, long value) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" counter\n");
    sb.append(name).append(' ').append(value).append('\n');
  }

  /** A cumulative histogram with fixed bucket bounds. */
  static final class Histogram {
    final double[] bounds;
    final AtomicLongArray counts;
    final AtomicLong count = new AtomicLong();
    final AtomicLong sumMicros = new AtomicLong();

    Histogram(double[] bounds) {
      this.bounds = bounds;
      this.counts = new AtomicLongArray(bounds.length);
    }

    void observe(double v) {
      for (int i = 0; i < bounds.length; i++) {
        if (v <= bounds[i]) {
          counts.incrementAndGet(i);
        }
      }
      count.incrementAndGet();
      sumMicros.addAndGet(Math.round(v * 1e6));
    }

    void render(StringBuilder sb, String name, String help) {
      sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
      sb.append("# TYPE ").append(name).append(" histogram\n");
      for (int i = 0; i < bounds.length; i++) {
        sb.append(name).append("_bucket{le=\"").append(fmt(bounds[i])).append("\"} ")
            .append(counts.get(i)).append('\n');
      }
      sb.append(name).append("_bucket{le=\"+Inf\"} ").append(count.get()).append('\n');
      sb.append(name).append("_sum ").append(fmt(sumMicros.get() / 1e6)).append('\n');
      sb.append(name).append("_count ").append(count.get()).append('\n');
    }

    static String fmt(double v) {
      return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
  }
}
