package org.disranker.cli;

import java.io.UncheckedIOException;
import java.util.List;
import org.disranker.core.io.InputFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code disranker} command. */
@Command(
    name = "disranker",
    mixinStandardHelpOptions = true,
    version = "disranker 0.1.0-SNAPSHOT",
    description = {
      "Distils LLM rankers into BERT cross-encoders for web search ranking (DisRanker).",
      "Datasets, BM25, evaluation, the BERT student, the LLM teacher, distillation, serving,"
          + " Spark scoring, and the pipeline that runs them all; see the README."
    },
    subcommands = {
      DataCommand.class,
      Bm25Command.class,
      SearchCommand.class,
      EvalCommand.class,
      StudentCommand.class,
      RerankCommand.class,
      TeacherCommand.class,
      DistillCommand.class,
      ServeCommand.class,
      SparkCommand.class,
      LoadTestCommand.class,
      BenchCommand.class,
      DiffRunsCommand.class,
      PipelineCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  /** The arguments of this invocation, for reports that name the command that made them. */
  private static List<String> invocation = List.of();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The command line of this invocation as a user would type it. */
  public static String commandLine() {
    StringBuilder sb = new StringBuilder("disranker");
    for (String a : invocation) {
      sb.append(' ');
      sb.append(a.matches("[A-Za-z0-9_./:=@,+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
    }
    return sb.toString();
  }

  /** Builds the command line with error handling shared by the program and the tests. */
  public static CommandLine commandLine(Object command) {
    CommandLine cl = new CommandLine(command);
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof InputFormatException || ex instanceof IllegalArgumentException
          || ex instanceof UncheckedIOException) {
        line.getErr().println("error: " + ex.getMessage());
        return 2;
      }
      throw ex;
    });
    return cl;
  }

  public static int execute(String... args) {
    return commandLine(new Main(), args).execute(args);
  }

  /** As {@link #commandLine(Object)}, remembering the arguments for {@link #commandLine()}. */
  static CommandLine commandLine(Object command, String... args) {
    invocation = List.of(args);
    return commandLine(command);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
