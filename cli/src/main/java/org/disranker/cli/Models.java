package org.disranker.cli;

import java.nio.file.Path;
import org.disranker.model.bert.BertCheckpoint;

/**
 * Resolves a model argument: {@code minilm} (the pretrained all-MiniLM-L6-v2, 6 layers), {@code
 * bge-small} (bge-small-en-v1.5, 12 layers), {@code e5-small} (e5-small-v2, 12 layers; each from
 * its Maven jar) or a folder.
 */
final class Models {
  static final String MINILM = "minilm";
  static final String BGE_SMALL = "bge-small";
  static final String E5_SMALL = "e5-small";

  private Models() {}

  /** Whether a model argument names a bi-encoder that {@code BiEncoder} runs. */
  static boolean isBiEncoder(String spec) {
    return org.disranker.serve.BiEncoder.Spec.ALL.stream().anyMatch(s -> s.name().equals(spec));
  }

  static BertCheckpoint load(String spec, Integer layers) {
    BertCheckpoint c = switch (spec) {
      case MINILM -> BertCheckpoint.minilm();
      case BGE_SMALL -> BertCheckpoint.fromOnnxResource(BertCheckpoint.BGE_SMALL_ONNX,
          BertCheckpoint.BGE_SMALL_TOKENIZER, BertCheckpoint.BGE_SMALL_HEADS);
      case E5_SMALL -> BertCheckpoint.fromOnnxResource(BertCheckpoint.E5_SMALL_ONNX,
          BertCheckpoint.E5_SMALL_TOKENIZER, BertCheckpoint.E5_SMALL_HEADS);
      default -> BertCheckpoint.load(Path.of(spec));
    };
    return layers == null ? c : c.firstLayers(layers);
  }
}
