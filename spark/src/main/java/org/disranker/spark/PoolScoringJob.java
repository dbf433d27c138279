package org.disranker.spark;

import org.disranker.serve.QueryScorer;
import org.disranker.serve.PairText;
import org.disranker.serve.ScorerSpec;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The Spark job that scores a pool of (query, document) pairs.
 *
 * <p>Input rows hold {@code qid, docid, query, text} and optionally {@code title} (Parquet, or JSON
 * lines); output rows hold {@code qid, docid, score}. The pool is shuffled so that each query's
 * pairs land in one partition; a task scores its partition query by query with the executor's
 * shared model ({@link ExecutorModels}) in the batches of {@link QueryScorer}'s plan, so the
 * scores do not depend on the partitioning. Output goes through Spark's file commit protocol: a
 * task attempt writes into its own temporary folder, and only the attempt that commits is moved
 * into place, so a retried or speculative task leaves neither a duplicate nor a gap. The job
 * finally counts the output against the input and fails if they differ.
 */
public final class PoolScoringJob {
  /** The columns of the output. */
  public static final StructType OUTPUT = new StructType()
      .add("qid", DataTypes.StringType, false)
      .add("docid", DataTypes.StringType, false)
      .add("score", DataTypes.FloatType, false);

  /** The columns a JSON pool is read with (a Parquet pool brings its own schema). */
  public static final StructType INPUT = new StructType()
      .add("qid", DataTypes.StringType)
      .add("docid", DataTypes.StringType)
      .add("query", DataTypes.StringType)
      .add("title", DataTypes.StringType)
      .add("text", DataTypes.StringType);

  static final List<String> REQUIRED = List.of("qid", "docid", "query", "text");

  /**
   * Where the pool comes from and goes.
   *
   * @param partitions partitions to score in; 0: Spark's default parallelism
   * @param failFirstAttempt tests only: the first attempt of partition 0 fails after writing part
   *     of its output
   */
  public record Options(String input, String inputFormat, String output, String outputFormat,
      int partitions, boolean overwrite, boolean failFirstAttempt) {}

  /** What a run did. */
  public record Result(long pairs, long queries, int partitions, double seconds) {}

  private PoolScoringJob() {}

  /** The format of a path: {@code parquet} or {@code json}, from the given name or the path. */
  public static String format(String given, String path) {
    String f = given == null || given.isEmpty() || given.equals("auto")
        ? path.toLowerCase(Locale.ROOT).replaceAll("/+$", "").matches(".*\\.(jsonl|json)")
            ? "json" : "parquet"
        : given.toLowerCase(Locale.ROOT);
    return switch (f) {
      case "parquet" -> "parquet";
      case "json", "jsonl" -> "json";
      default -> throw new IllegalArgumentException("format must be parquet or jsonl, got "
          + given);
    };
  }

  /**
   * Reads, scores and writes the pool.
   *
   * @throws IllegalArgumentException for a missing or malformed pool, an existing output (without
   *     overwrite), or a model the executors cannot open
   */
  public static Result run(SparkSession spark, ScorerSpec spec, Options o) {
    try {
      return runUnchecked(spark, spec, o);
    } catch (AnalysisException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    } catch (Exception e) { // Spark throws its checked SparkException unannounced
      throw explain(e);
    }
  }

  /**
   * The first bad-input error among a failed job's causes (an executor's error reaches the
   * driver wrapped in Spark's), else the failure wrapped as an unchecked exception.
   */
  static RuntimeException explain(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IllegalArgumentException a) {
        return a;
      }
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
  }

  private static Result runUnchecked(SparkSession spark, ScorerSpec spec, Options o)
      throws AnalysisException {
    long t0 = System.nanoTime();
    if (!o.overwrite()) {
      org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(o.output());
      try {
        if (out.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(out)) {
          throw new IllegalArgumentException("output " + o.output() + " already exists (an"
              + " earlier run's, complete or cut short); give --overwrite to replace it whole");
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("checking output " + o.output(), e);
      }
    }
    String inFormat = format(o.inputFormat(), o.input());
    Dataset<Row> in = inFormat.equals("json")
        ? spark.read().schema(INPUT).option("mode", "FAILFAST").json(o.input())
        : spark.read().parquet(o.input());
    List<String> columns = Arrays.asList(in.columns());
    for (String c : REQUIRED) {
      if (!columns.contains(c)) {
        throw new IllegalArgumentException("pool " + o.input() + " has no column '" + c
            + "' (columns: " + columns + "; needed: qid, docid, query, text, optional title)");
      }
    }
    Dataset<Row> pairs = in.select(col("qid").cast("string"), col("docid").cast("string"),
        col("query").cast("string"),
        columns.contains("title") ? col("title").cast("string") : lit("").as("title"),
        col("text").cast("string"));
    Row counted = pairs.agg(count(lit(1)), countDistinct(col("qid"))).first();
    long n = counted.getLong(0);
    long queries = counted.getLong(1);
    int parts = o.partitions() > 0 ? o.partitions() : spark.sparkContext().defaultParallelism();
    Dataset<Row> scored = pairs.repartition(parts, col("qid"))
        .sortWithinPartitions("qid")
        .mapPartitions(new ScorePartition(spec, o.input(), o.failFirstAttempt()),
            Encoders.row(OUTPUT));
    String outFormat = format(o.outputFormat(), o.output());
    scored.write().mode(o.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
        .format(outFormat).save(o.output());
    Row check = spark.read().schema(OUTPUT).format(outFormat).load(o.output())
        .agg(count(lit(1)), countDistinct(col("qid"), col("docid"))).first();
    long m = check.getLong(0);
    long distinct = check.getLong(1);
    if (m != n || distinct != n) {
      throw new IllegalStateException("output " + o.output() + " has " + m + " scores for "
          + distinct + " distinct pairs; the pool has " + n + " pairs");
    }
    return new Result(n, queries, parts, (System.nanoTime() - t0) / 1e9);
  }

  /** Scores one partition, sorted by query, one query at a time. */
  static final class ScorePartition implements MapPartitionsFunction<Row, Row> {
    private final ScorerSpec spec;
    private final String input;
    private final boolean failFirstAttempt;

    ScorePartition(ScorerSpec spec, String input, boolean failFirstAttempt) {
      this.spec = spec;
      this.input = input;
      this.failFirstAttempt = failFirstAttempt;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      TaskContext ctx = TaskContext.get();
      boolean fail = failFirstAttempt && ctx != null && ctx.partitionId() == 0
          && ctx.attemptNumber() == 0;
      return new Iterator<>() {
        PairText next = rows.hasNext() ? pair(rows.next()) : null;
        List<Row> ready = new ArrayList<>();
        int at = 0;
        int groups = 0;

        @Override
        public boolean hasNext() {
          if (at < ready.size()) {
            return true;
          }
          if (next == null) {
            return false;
          }
          if (fail && groups > 0) {
            throw new IllegalStateException("injected failure (--fail-first-attempt): partition"
                + " 0, attempt 0, after " + groups + " queries");
          }
          List<PairText> group = new ArrayList<>();
          String qid = next.qid();
          while (next != null && next.qid().equals(qid)) {
            group.add(next);
            next = rows.hasNext() ? pair(rows.next()) : null;
          }
          float[] s = ExecutorModels.get(spec).scoreQuery(group);
          ready = new ArrayList<>(group.size());
          for (int i = 0; i < group.size(); i++) {
            ready.add(RowFactory.create(group.get(i).qid(), group.get(i).docid(), s[i]));
          }
          at = 0;
          groups++;
          return true;
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          return ready.get(at++);
        }
      };
    }

    PairText pair(Row r) {
      String[] names = {"qid", "docid", "query", "title", "text"};
      for (int i = 0; i < names.length; i++) {
        if (r.isNullAt(i) && i != 3) {
          throw new IllegalArgumentException("pool " + input + ": a pair has no '" + names[i]
              + "' (qid=" + r.get(0) + ", docid=" + r.get(1) + ")");
        }
      }
      return new PairText(r.getString(0), r.getString(1), r.getString(2), r.getString(3),
          r.getString(4));
    }
  }
}
