package org.disranker.spark;

import org.disranker.serve.QueryScorer;
import org.disranker.serve.PairText;
import org.disranker.serve.ScorerSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.disranker.model.io.Tensor;
import org.disranker.model.llm.LlamaCheckpoint;
import org.disranker.model.llm.LlamaConfig;
import org.disranker.model.onnx.BertOnnxExporter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark scoring job in local mode, with tiny random models: its scores are exactly those of
 * scoring each query's pairs on one machine, whatever the partitioning, and a task that fails
 * midway and is retried still leaves exactly one score per pair.
 */
class PoolScoringJobTest {
  @TempDir static Path dir;
  static SparkSession spark;
  static Path student;
  static Path teacher;
  static final AtomicInteger FAILED_TASKS = new AtomicInteger();
  static final String[] WORDS = ("wing lift air drag engine market stock price fell rose today"
      + " river bank loan water flow storm cloud rain jet flight speed").split(" ");

  @BeforeAll
  static void setUp() throws IOException {
    // local[2, 3]: two cores, and a failed task is tried up to three times
    spark = SparkSession.builder().master("local[2,3]").appName("test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.reason() != Success$.MODULE$) {
          FAILED_TASKS.incrementAndGet();
        }
      }
    });
    byte[] tok = BertCheckpoint.minilmTokenizer();
    BertCheckpoint bert = BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2,
        1e-12), 7, tok);
    student = dir.resolve("student");
    bert.save(student);
    Files.write(student.resolve("model.onnx"), BertOnnxExporter.export(bert, false));
    LlamaConfig c = new LlamaConfig("llama", 30522, 32, 64, 2, 4, 2, 8, 1e-6, 10000.0, 256,
        true, false, 101, 102, 0);
    LlamaCheckpoint base = LlamaCheckpoint.random(c, 3, tok);
    Map<String, Tensor> w = new LinkedHashMap<>(base.weights());
    Random r = new Random(9);
    float[] head = new float[32];
    for (int i = 0; i < head.length; i++) {
      head[i] = (float) r.nextGaussian();
    }
    w.put("score.weight", Tensor.ofFloats(w.get("score.weight").shape(), head));
    teacher = dir.resolve("teacher");
    LlamaCheckpoint.of(c, w, tok).save(teacher);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  /** 7 queries with 2 to 9 documents of different lengths; some with a title. */
  static List<PairText> pool() {
    Random r = new Random(1);
    List<PairText> out = new ArrayList<>();
    for (int q = 0; q < 7; q++) {
      String query = WORDS[r.nextInt(WORDS.length)] + " " + WORDS[r.nextInt(WORDS.length)];
      for (int d = 0; d < 2 + q; d++) {
        StringBuilder text = new StringBuilder();
        for (int k = 0, len = 1 + r.nextInt(40); k < len; k++) {
          text.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
        }
        out.add(new PairText("q" + q, "d" + (q * 31 + d * 7) % 50, query,
            d % 3 == 0 ? "title " + d : "", text.toString().trim()));
      }
    }
    return out;
  }

  static Path writeJsonl(List<PairText> pairs, String name) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (PairText p : pairs) {
      sb.append(String.format("{\"qid\": \"%s\", \"docid\": \"%s\", \"query\": \"%s\","
          + " \"title\": \"%s\", \"text\": \"%s\"}%n", p.qid(), p.docid(), p.query(),
          p.title(), p.text()));
    }
    Path f = dir.resolve(name);
    Files.writeString(f, sb);
    return f;
  }

  /** The single-machine scores: each query's pairs scored by a freshly opened model. */
  static Map<String, Float> singleMachine(ScorerSpec spec, List<PairText> pairs) {
    Map<String, List<PairText>> byQuery = new LinkedHashMap<>();
    pairs.forEach(p -> byQuery.computeIfAbsent(p.qid(), x -> new ArrayList<>()).add(p));
    Map<String, Float> out = new HashMap<>();
    try (QueryScorer s = spec.open()) {
      for (List<PairText> group : byQuery.values()) {
        float[] sc = s.scoreQuery(group);
        for (int i = 0; i < sc.length; i++) {
          out.put(group.get(i).qid() + " " + group.get(i).docid(), sc[i]);
        }
      }
    }
    return out;
  }

  static Map<String, Float> readScores(String path, String format) {
    Map<String, Float> out = new HashMap<>();
    for (Row r : spark.read().schema(PoolScoringJob.OUTPUT).format(format).load(path)
        .collectAsList()) {
      Float before = out.put(r.getString(0) + " " + r.getString(1), r.getFloat(2));
      assertEquals(null, before, "pair scored twice: " + r);
    }
    return out;
  }

  static PoolScoringJob.Options options(Path in, Path out, int partitions, boolean fail) {
    return new PoolScoringJob.Options(in.toString(), "auto", out.toString(), "auto", partitions,
        false, fail);
  }

  @Test
  void studentScoresOnSparkAreExactlyTheSingleMachineScores() throws IOException {
    List<PairText> pairs = pool();
    Path in = writeJsonl(pairs, "pool.jsonl");
    ScorerSpec spec = ScorerSpec.student(student.toString(), "model.onnx", 64, 3, 1);
    Map<String, Float> expected = singleMachine(spec, pairs);
    for (int partitions : new int[] {1, 3}) {
      Path out = dir.resolve("student-" + partitions + ".jsonl");
      PoolScoringJob.Result r = PoolScoringJob.run(spark, spec, options(in, out, partitions,
          false));
      assertEquals(pairs.size(), r.pairs());
      assertEquals(7, r.queries());
      assertEquals(expected, readScores(out.toString(), "json"), partitions + " partitions");
    }
    // the scores vary across pairs: a constant scorer would pass the comparison too
    assertTrue(expected.values().stream().distinct().count() > pairs.size() / 2);
    assertEquals(1, ExecutorModels.loads(spec), "the model is opened once per executor");
  }

  @Test
  void teacherScoresFromParquetMatchAndDoNotDependOnTheBatch() {
    List<PairText> pairs = pool();
    List<Row> rows = new ArrayList<>();
    pairs.forEach(p -> rows.add(RowFactory.create(p.qid(), p.docid(), p.query(), p.text())));
    StructType schema = new StructType().add("qid", DataTypes.StringType)
        .add("docid", DataTypes.StringType).add("query", DataTypes.StringType)
        .add("text", DataTypes.StringType);
    Path in = dir.resolve("pool.parquet");
    spark.createDataFrame(rows, schema).write().parquet(in.toString());
    ScorerSpec spec = ScorerSpec.teacher(teacher.toString(), 64, 4, "last",
        "<s> {query} : {title} : {summary} </s>");
    Path out = dir.resolve("teacher.parquet");
    PoolScoringJob.run(spark, spec, options(in, out, 2, false));
    List<PairText> untitled = new ArrayList<>();
    pairs.forEach(p -> untitled.add(new PairText(p.qid(), p.docid(), p.query(), "", p.text())));
    Map<String, Float> got = readScores(out.toString(), "parquet");
    assertEquals(singleMachine(spec, untitled), got);
    // one pair at a time (no padding) gives the same scores up to rounding
    Map<String, Float> alone = singleMachine(new ScorerSpec("teacher", teacher.toString(), "",
        64, 1, 0, "last", spec.template()), untitled);
    alone.forEach((k, v) -> assertEquals(v, got.get(k), 1e-4, k));
  }

  @Test
  void aTaskThatFailsMidwayIsRetriedWithoutDuplicatesOrGaps() throws IOException {
    List<PairText> pairs = pool();
    Path in = writeJsonl(pairs, "pool-retry.jsonl");
    ScorerSpec spec = ScorerSpec.student(student.toString(), "model.onnx", 64, 3, 1);
    Path out = dir.resolve("retry.parquet");
    int failedBefore = FAILED_TASKS.get();
    PoolScoringJob.run(spark, spec, options(in, out, 2, true));
    // the listener hears of the failed attempt asynchronously
    for (int i = 0; i < 100 && FAILED_TASKS.get() == failedBefore; i++) {
      sleep();
    }
    assertTrue(FAILED_TASKS.get() > failedBefore, "the first attempt did fail");
    assertEquals(singleMachine(spec, pairs), readScores(out.toString(), "parquet"));
  }

  @Test
  void badPoolsAndExistingOutputsAreClearErrors() throws IOException {
    ScorerSpec spec = ScorerSpec.student(student.toString(), "model.onnx", 64, 3, 1);
    Path noText = dir.resolve("notext.parquet");
    spark.createDataFrame(List.of(RowFactory.create("q1", "d1", "a query")),
        new StructType().add("qid", DataTypes.StringType).add("docid", DataTypes.StringType)
            .add("query", DataTypes.StringType)).write().parquet(noText.toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PoolScoringJob.run(spark, spec, options(noText, dir.resolve("x"), 1, false)));
    assertTrue(e.getMessage().contains("no column 'text'"), e.getMessage());

    Path nullText = dir.resolve("nulltext.jsonl");
    Files.writeString(nullText, "{\"qid\": \"q1\", \"docid\": \"d1\", \"query\": \"wings\"}\n");
    IllegalArgumentException n = assertThrows(IllegalArgumentException.class,
        () -> PoolScoringJob.run(spark, spec, options(nullText, dir.resolve("y.jsonl"), 1,
            false)));
    assertTrue(n.getMessage().contains("has no 'text' (qid=q1,"
        + " docid=d1)"), n.getMessage());

    Path dup = writeJsonl(List.of(new PairText("q1", "d1", "w", "", "a"),
        new PairText("q1", "d1", "w", "", "b")), "dup.jsonl");
    IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
        () -> PoolScoringJob.run(spark, spec, options(dup, dir.resolve("z.jsonl"), 1, false)));
    assertTrue(d.getMessage().contains("(q1, d1) appears twice"),
        d.getMessage());

    Path ok = writeJsonl(pool(), "ok.jsonl");
    Path out = dir.resolve("exists.jsonl");
    PoolScoringJob.run(spark, spec, options(ok, out, 1, false));
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
        () -> PoolScoringJob.run(spark, spec, options(ok, out, 1, false)));
    assertTrue(x.getMessage().toLowerCase().contains("already exists"), x.getMessage());
  }

  static void sleep() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
