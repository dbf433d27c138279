package org.disranker.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.JsonFiles;

/** The shape of a BERT encoder, read from and written to a Hugging Face {@code config.json}. */
public record BertConfig(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int intermediateSize,
    int maxPositions,
    int typeVocabSize,
    double layerNormEps) {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  public BertConfig {
    if (hiddenSize % numHeads != 0) {
      throw new IllegalArgumentException("hidden size " + hiddenSize
          + " is not a multiple of the number of heads " + numHeads);
    }
  }

  public int headSize() {
    return hiddenSize / numHeads;
  }

  /** The same model keeping only the first {@code n} layers. */
  public BertConfig withLayers(int n) {
    if (n <= 0 || n > numLayers) {
      throw new IllegalArgumentException("cannot keep " + n + " of " + numLayers + " layers");
    }
    return new BertConfig(vocabSize, hiddenSize, n, numHeads, intermediateSize, maxPositions,
        typeVocabSize, layerNormEps);
  }

  public static BertConfig read(Path file) {
    JsonNode o = JsonFiles.read(file);
    String type = o.path("model_type").asText("bert");
    if (!type.equals("bert")) {
      throw new InputFormatException(file, "model_type '" + type + "' is not a BERT encoder");
    }
    return new BertConfig(
        JsonFiles.requiredInt(file, o, "vocab_size"),
        JsonFiles.requiredInt(file, o, "hidden_size"),
        JsonFiles.requiredInt(file, o, "num_hidden_layers"),
        JsonFiles.requiredInt(file, o, "num_attention_heads"),
        JsonFiles.requiredInt(file, o, "intermediate_size"),
        o.path("max_position_embeddings").asInt(512),
        o.path("type_vocab_size").asInt(2),
        o.path("layer_norm_eps").asDouble(1e-12));
  }


  /** Writes a Hugging Face config.json for this encoder with a one-logit head. */
  public void write(Path file) {
    ObjectNode o = JSON.createObjectNode();
    o.putArray("architectures").add("BertModel");
    o.put("model_type", "bert");
    o.put("vocab_size", vocabSize);
    o.put("hidden_size", hiddenSize);
    o.put("num_hidden_layers", numLayers);
    o.put("num_attention_heads", numHeads);
    o.put("intermediate_size", intermediateSize);
    o.put("hidden_act", "gelu");
    o.put("max_position_embeddings", maxPositions);
    o.put("type_vocab_size", typeVocabSize);
    o.put("layer_norm_eps", layerNormEps);
    o.put("num_labels", 1);
    o.put("disranker_head", "cls-dense: score = classifier(last_hidden_state[:, 0])");
    try {
      AtomicFiles.writeString(file, JSON.writeValueAsString(o) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
