package org.disranker.train;

import java.util.List;

/**
 * Settings of a teacher stage on the decoder: continued pre-training ({@code cpt}) or supervised
 * fine-tuning as a ranker ({@code sft}).
 *
 * @param loss sft: {@code margin} (max(0, T − (f(q,d+) − f(q,d−))), the paper's) or {@code
 *     listwise} (RankLLaMA-style softmax cross-entropy over one positive and {@code negatives}
 *     negatives); cpt: {@code lm}
 * @param pooling sft: {@code last} (the state of the final {@code </s>}, the paper's) or {@code
 *     mean}
 * @param loraRank 0 for full fine-tuning, else the LoRA rank
 * @param loraTargets the projections LoRA adapts
 * @param template the ranking input template (sft)
 * @param firstStageNegatives sft: extra pairs per query against unjudged first-stage documents
 * @param heldOut cpt: share of click records held out for perplexity
 */
public record TeacherConfig(
    String stage,
    String loss,
    String pooling,
    double margin,
    int negatives,
    int steps,
    int batch,
    double learningRate,
    double warmup,
    double weightDecay,
    double maxGradNorm,
    int maxLength,
    int loraRank,
    double loraAlpha,
    List<String> loraTargets,
    String template,
    int capPerQuery,
    int firstStageNegatives,
    double heldOut,
    long seed,
    int checkpointEvery) {

  public TeacherConfig {
    if (!List.of("cpt", "sft").contains(stage)) {
      throw new IllegalArgumentException("stage must be cpt or sft");
    }
    if (stage.equals("sft") && !List.of("margin", "listwise").contains(loss)) {
      throw new IllegalArgumentException("sft loss must be margin or listwise, not '" + loss
          + "'");
    }
    if (!List.of("last", "mean").contains(pooling)) {
      throw new IllegalArgumentException("pooling must be last or mean");
    }
    loraTargets = List.copyOf(loraTargets);
  }

  public TrainLoop.Schedule schedule() {
    return new TrainLoop.Schedule(steps, learningRate, warmup, weightDecay, maxGradNorm,
        checkpointEvery);
  }
}
