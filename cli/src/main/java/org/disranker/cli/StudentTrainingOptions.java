package org.disranker.cli;

import picocli.CommandLine.Option;

/** The optimisation options that student fine-tuning and distillation share (a picocli mixin). */
final class StudentTrainingOptions {
  @Option(names = "--steps", defaultValue = "300", description = "Steps (default ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--batch", defaultValue = "8",
      description = "Pairs (fine-tuning) or queries (distillation) per step (default"
          + " ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--lr", defaultValue = "3e-5",
      description = "Peak learning rate (default ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--head-lr", defaultValue = "2e-3",
      description = "Peak learning rate of the scoring head (pooler and classifier), which"
          + " starts from small random weights and at the encoder's rate barely grows (the"
          + " pipeline's recipes use 2e-3); 0 for --lr (default ${DEFAULT-VALUE})")
  double headLr;

  @Option(names = "--warmup", defaultValue = "0.1",
      description = "Warm-up share of the steps (default ${DEFAULT-VALUE})")
  double warmup;

  @Option(names = "--weight-decay", defaultValue = "0.01",
      description = "AdamW weight decay (default ${DEFAULT-VALUE})")
  double weightDecay;

  @Option(names = "--clip", defaultValue = "1.0",
      description = "Gradient norm clip, 0 for none (default ${DEFAULT-VALUE})")
  double clip;

  @Option(names = "--max-length", defaultValue = "256",
      description = "Tokens per pair (default ${DEFAULT-VALUE})")
  int maxLength;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--checkpoint-every", defaultValue = "50",
      description = "Steps between checkpoints (default ${DEFAULT-VALUE})")
  int every;
}
