package org.disranker.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.disranker.core.dataset.Datasets;
import org.disranker.pipeline.Pipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code disranker pipeline}: the options of {@link Pipeline}, which runs every stage on the
 * shared data into a run directory with one folder and manifest per stage, and writes a report.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Run the pipeline on the shared data: first-stage retrieval and evaluation per collection;"
          + " then the ranking stages of config/pipeline.json (student fine-tuning, distillation"
          + " from the configured teacher, ONNX export, reranking, evaluation); then report.md."
          + " Finished stages whose config and inputs did not change are skipped; a stage"
          + " interrupted midway is redone."
    })
public final class PipelineCommand implements Callable<Integer> {
  @Option(names = "--data", paramLabel = "DIR",
      description = "Shared data folder (default: ../shared/data from here or above)")
  Path data;

  @Option(names = "--out", defaultValue = "runs/pipeline", paramLabel = "DIR",
      description = "Run directory (default ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--datasets", split = ",", paramLabel = "NAME",
      description = "Collections to run, as paths under --data, NFCorpus with :split"
          + " (default trec-dl/dl19,trec-dl/dl20,cranfield,nfcorpus:test/titles)")
  List<String> datasets;

  @Option(names = {"-k", "--top-k"}, defaultValue = "1000",
      description = "Documents BM25 retrieves per query (default ${DEFAULT-VALUE})")
  int k;

  @Option(names = "--results", paramLabel = "FILE",
      description = "Also write the report table into a section of this Markdown file"
          + " (e.g. docs/RESULTS.md)")
  Path results;

  @Option(names = "--force", description = "Redo every stage even if up to date")
  boolean force;

  @Option(names = "--stages", split = ",", defaultValue = "first-stage,ranking",
      description = "first-stage (BM25 and evaluation per collection) and/or ranking (student"
          + " fine-tuning, distillation from the configured teacher, reranking, evaluation);"
          + " default ${DEFAULT-VALUE}")
  List<String> stages;

  @Option(names = "--config", defaultValue = "config/pipeline.json", paramLabel = "FILE",
      description = "Settings of the ranking stages (default ${DEFAULT-VALUE})")
  Path config;

  @Override
  public Integer call() throws Exception {
    System.out.print(Pipeline.run(new Pipeline.Options(data != null ? data : Datasets.dataRoot(),
        out, datasets != null ? datasets : Pipeline.DEFAULT_DATASETS, k, results, force, stages,
        config, Main.commandLine())));
    return 0;
  }
}
