package org.disranker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.MarkdownBlocks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker loadtest}: concurrent load on a rerank service on this machine. */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Send rerank requests built from a dataset's queries and first-stage top"
        + " documents to a service on a loopback address, from N concurrent clients, for a"
        + " bounded time; report latency percentiles, throughput, errors and lost requests."})
public final class LoadTestCommand implements Callable<Integer> {
  @Mixin DatasetOptions data;

  @Option(names = "--url", defaultValue = "http://127.0.0.1:8080/rerank") URI url;

  @Option(names = "--concurrency", defaultValue = "8") int concurrency;

  @Option(names = "--duration", defaultValue = "30", description = "Seconds")
  int duration;

  @Option(names = "--docs", defaultValue = "20", description = "Documents per request")
  int docs;

  @Option(names = "--record", paramLabel = "FILE") Path record;

  @Option(names = "--record-name", defaultValue = "loadtest") String recordName;

  @Option(names = "--bodies-out", paramLabel = "FILE", description = "Only write the request"
      + " bodies, one JSON per line, for an external load generator (scripts/wrk-rerank.lua)")
  Path bodiesOut;

  @Option(names = "--api-key", description = "Send 'Authorization: Bearer KEY'")
  String apiKey;

  @Override
  public Integer call() throws Exception {
    InetAddress addr = InetAddress.getByName(url.getHost());
    if (!addr.isLoopbackAddress()) {
      throw new IllegalArgumentException("load tests target this machine only (a loopback"
          + " address such as 127.0.0.1), not " + url.getHost());
    }
    if (duration <= 0 || duration > 600 || concurrency <= 0 || concurrency > 256) {
      throw new IllegalArgumentException("duration must be 1..600 s and concurrency 1..256");
    }
    Dataset d = data.open();
    ObjectMapper json = new ObjectMapper();
    List<String> bodies = new ArrayList<>();
    for (String q : d.firstStage().queryIds()) {
      ObjectNode o = json.createObjectNode();
      o.put("query", d.queries().get(q).text());
      ArrayNode arr = o.putArray("documents");
      d.firstStage().top(q, docs).forEach(sd -> arr.add(d.documents().get(sd.docid()).text()));
      bodies.add(json.writeValueAsString(o));
    }
    if (bodiesOut != null) {
      org.disranker.core.io.AtomicFiles.writeString(bodiesOut, String.join("\n", bodies) + "\n");
      System.err.printf("%d request bodies of %d documents written to %s%n", bodies.size(), docs,
          bodiesOut);
      return 0;
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long end = System.nanoTime() + duration * 1_000_000_000L;
    AtomicLong sent = new AtomicLong();
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong rejected = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long t0 = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      final int client = c;
      pool.submit(() -> {
        int i = client;
        while (System.nanoTime() < end) {
          String body = bodies.get(i++ % bodies.size());
          long s = System.nanoTime();
          sent.incrementAndGet();
          try {
            HttpRequest.Builder rb = HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
            if (apiKey != null) {
              rb.header("Authorization", "Bearer " + apiKey);
            }
            HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
            latencies.add(System.nanoTime() - s);
            if (r.statusCode() == 200) {
              ok.incrementAndGet();
            } else if (r.statusCode() == 429) {
              rejected.incrementAndGet();
            } else {
              errors.incrementAndGet();
            }
          } catch (Exception e) {
            failed.incrementAndGet();
          }
        }
        return null;
      });
    }
    pool.shutdown();
    pool.awaitTermination(duration + 120L, java.util.concurrent.TimeUnit.SECONDS);
    double secs = (System.nanoTime() - t0) / 1e9;
    List<Long> lat = new ArrayList<>(latencies);
    Collections.sort(lat);
    long answered = lat.size();
    long lost = sent.get() - answered - failed.get();
    String table = String.format(Locale.ROOT, "| clients | docs/request | seconds | requests |"
        + " 200 | 429 | other status | no answer | lost | req/s | pairs/s | p50 ms | p95 ms |"
        + " p99 ms |%n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%n"
        + "| %d | %d | %.1f | %d | %d | %d | %d | %d | %d | %.2f | %.1f | %.0f | %.0f | %.0f |%n",
        concurrency, docs, secs, sent.get(), ok.get(), rejected.get(), errors.get(),
        failed.get(), lost, ok.get() / secs, ok.get() * docs / secs, pct(lat, 0.5),
        pct(lat, 0.95), pct(lat, 0.99));
    System.out.print(table);
    if (record != null) {
      MarkdownBlocks.upsert(record, recordName, "Measured " + LocalDate.now(ZoneOffset.UTC)
          + " on " + BenchCommand.Student.machine() + " by:\n\n```\n" + Main.commandLine()
          + "\n```\n\n" + table);
    }
    return errors.get() == 0 && failed.get() == 0 && lost == 0 ? 0 : 1;
  }

  static double pct(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1);
    return sorted.get(Math.max(0, i)) / 1e6;
  }
}
