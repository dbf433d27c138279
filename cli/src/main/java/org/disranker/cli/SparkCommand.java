package org.disranker.cli;

import org.disranker.spark.ScorePoolCommand;
import picocli.CommandLine.Command;

/** {@code disranker spark}: jobs for Apache Spark. */
@Command(name = "spark", mixinStandardHelpOptions = true,
    description = "Jobs for Apache Spark, in local mode here (--master local[N]) or under"
        + " spark-submit on a cluster (docs/SPARK.md).",
    subcommands = {ScorePoolCommand.class})
public final class SparkCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
