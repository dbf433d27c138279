package org.disranker.cli;

import java.nio.file.Path;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import picocli.CommandLine.Option;

/** {@code --dataset DIR [--split S]}, shared by the commands that read a collection. */
public final class DatasetOptions {
  @Option(names = "--dataset", paramLabel = "DIR",
      description = "Dataset folder: TREC DL (e.g. ../shared/data/trec-dl/dl19), Cranfield,"
          + " NFCorpus, or a generic folder (corpus.jsonl + queries.tsv [+ qrels.txt])")
  Path dataset;

  @Option(names = "--split", paramLabel = "SPLIT[/QUERIES]",
      description = "NFCorpus split and query set, e.g. test or dev/vid-desc (default test/titles)")
  String split;

  public boolean isSet() {
    return dataset != null;
  }

  public Dataset open() {
    if (dataset == null) {
      throw new IllegalArgumentException("--dataset is required");
    }
    return Datasets.open(dataset, split);
  }
}
