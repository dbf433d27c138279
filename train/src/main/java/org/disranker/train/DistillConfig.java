package org.disranker.train;

/**
 * Settings of distilling a teacher into the student (DisRanker stage 4).
 *
 * @param loss point, margin, hybrid (point + beta · margin, the paper's) or listwise (see {@link
 *     Losses#distillGroups})
 * @param beta weight of the margin term (the paper uses 0.4)
 * @param temperature listwise: the teacher's scores are divided by it before the softmax
 * @param steps optimizer steps
 * @param queries queries per step
 * @param group documents per query per step; every two of them the teacher orders form a
 *     triplet (q, d+, d−), so a group of g holds up to g(g − 1)/2 triplets for g forward passes
 * @param learningRate peak learning rate of the encoder
 * @param headLearningRate peak learning rate of the scoring head (pooler and classifier); 0 for
 *     the encoder's
 * @param dropout training dropout rate of the student (Hugging Face BERT's places; 0: none)
 * @param freeze parameters kept fixed: none, embeddings, layers:N (the embeddings and the first N
 *     layers), or encoder (only the head learns)
 * @param normalize teacher score normalisation: none, zscore or minmax per query, or global
 * @param seed seed of the query order and of the documents drawn per group
 */
public record DistillConfig(
    String loss,
    double beta,
    double temperature,
    int steps,
    int queries,
    int group,
    double learningRate,
    double headLearningRate,
    double warmup,
    double weightDecay,
    double maxGradNorm,
    int maxLength,
    double dropout,
    String freeze,
    String normalize,
    long seed,
    int checkpointEvery) {

  public DistillConfig {
    if (!Losses.DISTILL_LOSSES.contains(loss)) {
      throw new IllegalArgumentException("loss must be one of " + Losses.DISTILL_LOSSES
          + ", not '" + loss + "'");
    }
    BertPairTask.checkFreeze(freeze);
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("dropout must be in [0, 1), not " + dropout);
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be positive");
    }
    if (queries < 1 || group < 2) {
      throw new IllegalArgumentException("a step needs at least one query and groups of at least"
          + " two documents");
    }
  }

  public TrainLoop.Schedule schedule() {
    return new TrainLoop.Schedule(steps, learningRate, warmup, weightDecay, maxGradNorm,
        checkpointEvery);
  }
}
