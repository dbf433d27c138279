package org.disranker.model.llm;

import java.util.List;

/**
 * LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models"): each targeted
 * projection W [out, in] gains a trainable update (alpha / rank) · B · A with A [rank, in] drawn
 * small at random and B [out, rank] zero, so training starts from the base model; the base stays
 * frozen. Merging writes W + (alpha / rank) · B · A back into the checkpoint.
 *
 * @param targets projection names, e.g. q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj,
 *     down_proj
 */
public record LoraConfig(int rank, double alpha, List<String> targets, long seed) {
  public static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj",
      "gate_proj", "up_proj", "down_proj");

  public LoraConfig {
    if (rank <= 0) {
      throw new IllegalArgumentException("LoRA rank must be positive");
    }
    for (String t : targets) {
      if (!ALL.contains(t)) {
        throw new IllegalArgumentException("unknown LoRA target '" + t + "' (known: " + ALL
            + ")");
      }
    }
    targets = List.copyOf(targets);
  }

  public double scaling() {
    return alpha / rank;
  }
}
