package org.disranker.model.bert;

import ai.djl.ndarray.NDManager;

/** Scores batches with a {@link BertModel} on DJL, each batch in its own sub-manager. */
public final class DjlScorer implements PairScorer {
  private final BertModel model;

  public DjlScorer(BertModel model) {
    this.model = model;
  }

  @Override
  public float[] score(Batch batch) {
    try (NDManager m = model.manager().newSubManager()) {
      return model.score(batch.idsArray(m), batch.typesArray(m), batch.maskArray(m))
          .toFloatArray();
    }
  }
}
