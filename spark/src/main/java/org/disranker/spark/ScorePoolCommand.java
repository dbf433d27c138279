package org.disranker.spark;

import org.disranker.serve.ScorerSpec;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.disranker.model.llm.DecoderTokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code disranker spark score}, and the main class to give {@code spark-submit}: scores a pool
 * with the student or the teacher on Spark.
 */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Score a pool of (query, document) pairs on Apache Spark with the student"
        + " (ONNX Runtime) or the teacher (DJL). Input: Parquet or JSON lines with qid, docid,"
        + " query, text and optional title (disranker data pairs writes one). Output: qid,"
        + " docid, score. Each executor opens the model once; each query's pairs are scored in"
        + " one task, so scores do not depend on the partitioning; a retried task leaves no"
        + " duplicate and no gap.",
        "Locally: disranker spark score --master local[2] ...; on a cluster: spark-submit"
            + " --class org.disranker.spark.ScorePoolCommand (see docs/SPARK.md)."})
public final class ScorePoolCommand implements Callable<Integer> {
  @Spec CommandSpec command;

  @Option(names = "--input", required = true,
      description = "Pool: a Parquet or JSON-lines file or folder")
  String input;

  @Option(names = "--input-format", defaultValue = "auto",
      description = "parquet, jsonl or auto (by the name: .jsonl/.json, else parquet)")
  String inputFormat;

  @Option(names = "--output", required = true, description = "Output folder (Spark writes a"
      + " folder of part files)")
  String output;

  @Option(names = "--output-format", defaultValue = "auto",
      description = "parquet, jsonl or auto (by the name)")
  String outputFormat;

  @Option(names = "--scorer", defaultValue = "student", description = "student or teacher")
  String scorer;

  @Option(names = "--model", required = true, description = "Student export folder (ONNX +"
      + " tokenizer.json) or teacher folder, as the executors see it")
  String model;

  @Option(names = "--onnx", defaultValue = "model.int8.onnx",
      description = "The student's ONNX file in the folder; default ${DEFAULT-VALUE}")
  String onnx;

  @Option(names = "--max-length", description = "Tokens per pair (student 256, teacher 192)")
  Integer maxLength;

  @Option(names = "--batch", defaultValue = "32", description = "Pairs per batch")
  int batch;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime threads per"
      + " task (a task runs on one executor core); 0: one per core")
  int threads;

  @Option(names = "--pooling", defaultValue = "last", description = "Teacher: last or mean")
  String pooling;

  @Option(names = "--template", defaultValue = DecoderTokenizer.DEFAULT_TEMPLATE,
      description = "Teacher input template")
  String template;

  @Option(names = "--partitions", defaultValue = "0",
      description = "Partitions (tasks); 0: Spark's default parallelism")
  int partitions;

  @Option(names = "--master", description = "Spark master, e.g. local[2]; default: the one"
      + " spark-submit gives, else local[*]")
  String master;

  @Option(names = "--overwrite", description = "Replace an existing output")
  boolean overwrite;

  @Option(names = "--fail-first-attempt", hidden = true,
      description = "Tests: fail the first attempt of partition 0 midway")
  boolean failFirstAttempt;

  @Override
  public Integer call() {
    ScorerSpec spec = scorer.equals("teacher")
        ? ScorerSpec.teacher(model, maxLength == null ? 192 : maxLength, batch, pooling,
            template)
        : ScorerSpec.student(model, onnx, maxLength == null ? 256 : maxLength, batch, threads);
    SparkSession.Builder b = SparkSession.builder().appName("disranker score " + scorer);
    if (master != null) {
      b.master(master);
    } else if (System.getProperty("spark.master") == null) {
      b.master("local[*]");
    }
    b.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "true");
    SparkSession spark = b.getOrCreate();
    try {
      PoolScoringJob.Result r = PoolScoringJob.run(spark, spec, new PoolScoringJob.Options(
          input, inputFormat, output, outputFormat, partitions, overwrite, failFirstAttempt));
      int slots = spark.sparkContext().defaultParallelism();
      command.commandLine().getErr().printf("scored %d pairs of %d queries in %d partitions in"
          + " %.1f s: %.1f pairs/s (Spark's default parallelism: %d) -> %s%n", r.pairs(),
          r.queries(), r.partitions(), r.seconds(), r.pairs() / r.seconds(), slots, output);
      return 0;
    } finally {
      if (master != null) {
        spark.stop();
      }
    }
  }

  /** Entry point for spark-submit. */
  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new ScorePoolCommand());
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof IllegalArgumentException) {
        line.getErr().println("error: " + ex.getMessage());
        return 2;
      }
      throw ex;
    });
    System.exit(cl.execute(args));
  }
}
