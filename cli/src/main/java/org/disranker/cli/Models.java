package org.disranker.cli;

import java.nio.file.Path;
import org.disranker.model.bert.BertCheckpoint;

/** Resolves a model argument: {@code minilm} (the pretrained all-MiniLM-L6-v2) or a folder. */
final class Models {
  static final String MINILM = "minilm";

  private Models() {}

  static BertCheckpoint load(String spec, Integer layers) {
    BertCheckpoint c = spec.equals(MINILM) ? BertCheckpoint.minilm() : BertCheckpoint.load(
        Path.of(spec));
    return layers == null ? c : c.firstLayers(layers);
  }
}
