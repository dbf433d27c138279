package org.disranker.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.apache.spark.sql.SparkSession;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.disranker.model.onnx.BertOnnxExporter;
import org.disranker.serve.PairText;
import org.disranker.serve.QueryScorer;
import org.disranker.serve.ScorerSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster path on a real Spark standalone cluster: a master and two workers in their own JVMs
 * on 127.0.0.1, with nothing but Spark's jars on their class path; this JVM is the driver and
 * ships the job's jars to the executors (as {@code spark-submit --jars} does). A 200-pair pool
 * scored there must hold exactly one score per pair, each equal to scoring its query on one
 * machine. The fault runs (a worker or the driver killed) are {@code
 * scripts/spark-standalone.sh}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SparkStandaloneTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  final List<Process> daemons = new ArrayList<>();

  @AfterEach
  void stopDaemons() {
    for (Process p : daemons) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  static List<Path> classpath(String file) throws IOException {
    Path f = Path.of("target", file);
    assertTrue(Files.isRegularFile(f), f + " is written by the build (maven-dependency-plugin)");
    return Arrays.stream(Files.readString(f).trim().split(File.pathSeparator))
        .filter(s -> !s.isBlank()).map(Path::of).toList();
  }

  /** A class folder as a jar (reactor builds resolve modules to target/classes). */
  Path asJar(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return p;
    }
    Path jar = dir.resolve("shipped-" + Math.abs(p.toAbsolutePath().toString().hashCode())
        + ".jar");
    try (OutputStream os = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(os);
        Stream<Path> files = Files.walk(p)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new ZipEntry(p.relativize(f).toString().replace('\\', '/')));
        Files.copy(f, out);
        out.closeEntry();
      }
    }
    return jar;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  Process daemon(Path home, String name, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(System.getProperty("disranker.spark.opens", "").trim()
        .split("\\s+")));
    cmd.addAll(List.of("-Xmx256m", "-cp", home.resolve("jars") + File.separator + "*"));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd.stream().filter(s -> !s.isEmpty()).toList());
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
    Process p = pb.start();
    daemons.add(p);
    return p;
  }

  /** The ends of the daemons' logs, for a failure message. */
  String logs() {
    StringBuilder sb = new StringBuilder();
    for (String name : List.of("master", "worker1", "worker2")) {
      try {
        String log = Files.readString(dir.resolve(name + ".log"));
        sb.append("\n--- ").append(name).append(".log:\n")
            .append(log.substring(Math.max(0, log.length() - 2000)));
      } catch (IOException e) {
        sb.append("\n--- ").append(name).append(".log: ").append(e);
      }
    }
    return sb.toString();
  }

  int aliveWorkers(int uiPort) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + uiPort + "/json/")).build(), HttpResponse.BodyHandlers.ofString());
      return JSON.readTree(r.body()).path("aliveworkers").asInt(0);
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  @Test
  void aTwoWorkerStandaloneClusterScoresAPoolExactlyAsOneMachine() throws Exception {
    Path home = dir.resolve("spark-home");
    Files.createDirectories(home.resolve("jars"));
    Files.writeString(home.resolve("RELEASE"), "Spark for SparkStandaloneTest\n");
    // Spark's jars: the test class path without what the job ships itself
    List<Path> job = classpath("job-classpath.txt");
    for (Path j : classpath("test-classpath.txt")) {
      if (!job.contains(j) && Files.isRegularFile(j) && j.toString().endsWith(".jar")) {
        Files.createSymbolicLink(home.resolve("jars").resolve(j.getFileName()),
            j.toAbsolutePath());
      }
    }
    List<String> shipped = new ArrayList<>();
    shipped.add(asJar(Path.of("target", "classes")).toAbsolutePath().toString());
    for (Path j : job) {
      shipped.add(asJar(j).toAbsolutePath().toString());
    }

    int port = freePort();
    int ui = freePort();
    String master = "spark://127.0.0.1:" + port;
    daemon(home, "master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", Integer.toString(port), "--webui-port", Integer.toString(ui));
    for (int w = 1; w <= 2; w++) {
      daemon(home, "worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
          "--cores", "1", "--memory", "1g", "--work-dir", dir.resolve("work" + w).toString(),
          "--webui-port", Integer.toString(freePort()), master);
    }
    long deadline = System.nanoTime() + 90_000_000_000L;
    while (aliveWorkers(ui) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
    assertEquals(2, aliveWorkers(ui), () -> "two workers register with the master; " + logs());

    // A tiny random student and a pool of 20 queries x 10 documents
    BertCheckpoint bert = BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2,
        1e-12), 11, BertCheckpoint.minilmTokenizer());
    Path student = dir.resolve("student");
    bert.save(student);
    Files.write(student.resolve("model.onnx"), BertOnnxExporter.export(bert, false));
    List<PairText> pool = new ArrayList<>();
    Random r = new Random(5);
    for (int q = 0; q < 20; q++) {
      String query = PoolScoringJobTest.WORDS[r.nextInt(PoolScoringJobTest.WORDS.length)] + " "
          + PoolScoringJobTest.WORDS[r.nextInt(PoolScoringJobTest.WORDS.length)];
      for (int d = 0; d < 10; d++) {
        StringBuilder text = new StringBuilder();
        for (int k = 0, len = 1 + r.nextInt(30); k < len; k++) {
          text.append(PoolScoringJobTest.WORDS[r.nextInt(PoolScoringJobTest.WORDS.length)])
              .append(' ');
        }
        pool.add(new PairText("q" + q, "d" + (q * 13 + d), query, "", text.toString().trim()));
      }
    }
    StringBuilder lines = new StringBuilder();
    for (PairText p : pool) {
      lines.append(JSON.writeValueAsString(Map.of("qid", p.qid(), "docid", p.docid(), "query",
          p.query(), "text", p.text()))).append('\n');
    }
    Path input = dir.resolve("pool.jsonl");
    Files.writeString(input, lines);
    Path output = dir.resolve("scores.jsonl");
    ScorerSpec spec = ScorerSpec.student(student.toString(), "model.onnx", 64, 8, 1);

    SparkSession spark = SparkSession.builder().master(master).appName("standalone test")
        .config("spark.jars", String.join(",", shipped))
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.cores", "1").config("spark.executor.memory", "512m")
        .config("spark.ui.enabled", "false").getOrCreate();
    PoolScoringJob.Result result;
    int executors;
    try {
      long wait = System.nanoTime() + 90_000_000_000L;
      while (spark.sparkContext().getExecutorMemoryStatus().size() < 3
          && System.nanoTime() < wait) {
        Thread.sleep(250);
      }
      executors = spark.sparkContext().getExecutorMemoryStatus().size() - 1;
      result = PoolScoringJob.run(spark, spec, new PoolScoringJob.Options(input.toString(),
          "auto", output.toString(), "auto", 4, false, false));
    } finally {
      spark.stop();
    }
    assertEquals(2, executors, "one executor on each worker, in its own JVM");
    assertEquals(200, result.pairs());

    Map<String, Double> got = new HashMap<>();
    try (Stream<Path> parts = Files.list(output)) {
      for (Path part : parts.filter(f -> f.getFileName().toString().startsWith("part-"))
          .toList()) {
        for (String line : Files.readAllLines(part)) {
          JsonNode o = JSON.readTree(line);
          assertEquals(null, got.put(o.get("qid").asText() + "/" + o.get("docid").asText(),
              o.get("score").asDouble()), "one score per pair: " + line);
        }
      }
    }
    assertEquals(200, got.size());
    try (QueryScorer local = spec.open()) {
      for (int q = 0; q < 20; q++) {
        List<PairText> group = pool.subList(q * 10, q * 10 + 10);
        float[] s = local.scoreQuery(group);
        for (int i = 0; i < group.size(); i++) {
          PairText p = group.get(i);
          assertEquals(s[i], (float) (double) got.get(p.qid() + "/" + p.docid()),
              "the cluster's score of " + p.qid() + "/" + p.docid() + " is one machine's");
        }
      }
    }
    for (int w = 1; w <= 2; w++) {
      try (Stream<Path> f = Files.walk(dir.resolve("work" + w))) {
        assertTrue(f.anyMatch(x -> x.getFileName().toString().startsWith("disranker-serve")
            || x.getFileName().toString().startsWith("shipped-")),
            "worker " + w + "'s executor fetched the job's jars");
      }
    }
  }
}
