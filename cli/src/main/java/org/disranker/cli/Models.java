package org.disranker.cli;

import java.nio.file.Path;
import org.disranker.model.bert.BertCheckpoint;

/**
 * Resolves a model argument: a pretrained encoder's name ({@link BertCheckpoint#pretrained}:
 * minilm, bge-small, e5-small) or a folder.
 */
final class Models {
  static final String MINILM = "minilm";

  private Models() {}

  /** Whether a model argument names a bi-encoder that {@code BiEncoder} runs. */
  static boolean isBiEncoder(String spec) {
    return org.disranker.serve.BiEncoder.Spec.ALL.stream().anyMatch(s -> s.name().equals(spec));
  }

  static BertCheckpoint load(String spec, Integer layers) {
    BertCheckpoint c = BertCheckpoint.pretrained(spec);
    if (c == null) {
      c = BertCheckpoint.load(Path.of(spec));
    }
    return layers == null ? c : c.firstLayers(layers);
  }
}
