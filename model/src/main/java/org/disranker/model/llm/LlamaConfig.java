package org.disranker.model.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.JsonFiles;

/**
 * The shape of a decoder-only transformer of the Llama family, read from and written to a Hugging
 * Face {@code config.json} with {@code model_type} llama, mistral or qwen2. Qwen2 adds biases to
 * the query, key and value projections ({@code attentionBias}).
 */
public record LlamaConfig(
    String modelType,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    int maxPositions,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    int bosTokenId,
    int eosTokenId,
    int padTokenId) {

  static final List<String> TYPES = List.of("llama", "mistral", "qwen2");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  public LlamaConfig {
    if (!TYPES.contains(modelType)) {
      throw new IllegalArgumentException("model_type must be one of " + TYPES + ", not '"
          + modelType + "'");
    }
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException(numHeads + " attention heads do not divide into "
          + numKvHeads + " key-value heads");
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException("rotary embeddings need an even head size, got "
          + headDim);
    }
  }

  /** Query heads that share one key-value head. */
  public int groups() {
    return numHeads / numKvHeads;
  }

  public static LlamaConfig read(Path file) {
    JsonNode o = JsonFiles.read(file);
    String type = o.path("model_type").asText("");
    if (!TYPES.contains(type)) {
      throw new InputFormatException(file, "model_type '" + type + "' is not one of " + TYPES);
    }
    int hidden = JsonFiles.requiredInt(file, o, "hidden_size");
    int heads = JsonFiles.requiredInt(file, o, "num_attention_heads");
    return new LlamaConfig(type,
        JsonFiles.requiredInt(file, o, "vocab_size"),
        hidden,
        JsonFiles.requiredInt(file, o, "intermediate_size"),
        JsonFiles.requiredInt(file, o, "num_hidden_layers"),
        heads,
        o.path("num_key_value_heads").asInt(heads),
        o.hasNonNull("head_dim") ? o.get("head_dim").asInt() : hidden / heads,
        o.path("rms_norm_eps").asDouble(1e-6),
        o.path("rope_theta").asDouble(10000.0),
        o.path("max_position_embeddings").asInt(2048),
        o.path("tie_word_embeddings").asBoolean(false),
        o.path("attention_bias").asBoolean(type.equals("qwen2")),
        o.path("bos_token_id").asInt(1),
        o.path("eos_token_id").isArray() ? o.get("eos_token_id").get(0).asInt()
            : o.path("eos_token_id").asInt(2),
        o.path("pad_token_id").asInt(0));
  }


  public void write(Path file) {
    ObjectNode o = JSON.createObjectNode();
    o.putArray("architectures").add(switch (modelType) {
      case "mistral" -> "MistralForCausalLM";
      case "qwen2" -> "Qwen2ForCausalLM";
      default -> "LlamaForCausalLM";
    });
    o.put("model_type", modelType);
    o.put("vocab_size", vocabSize);
    o.put("hidden_size", hiddenSize);
    o.put("intermediate_size", intermediateSize);
    o.put("num_hidden_layers", numLayers);
    o.put("num_attention_heads", numHeads);
    o.put("num_key_value_heads", numKvHeads);
    o.put("head_dim", headDim);
    o.put("hidden_act", "silu");
    o.put("rms_norm_eps", rmsNormEps);
    o.put("rope_theta", ropeTheta);
    o.put("max_position_embeddings", maxPositions);
    o.put("tie_word_embeddings", tieWordEmbeddings);
    o.put("attention_bias", attentionBias);
    o.put("bos_token_id", bosTokenId);
    o.put("eos_token_id", eosTokenId);
    o.put("pad_token_id", padTokenId);
    try {
      AtomicFiles.writeString(file, JSON.writeValueAsString(o) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The decoders sized for CPUs that {@code teacher init} creates: {@code tiny} (64 hidden, 2
   * layers) or {@code small} (256 hidden, 4 layers, 8 heads over 4 key-value heads), with BERT's
   * [CLS] / [SEP] / [PAD] ids as bos / eos / pad.
   */
  public static LlamaConfig preset(String name, int vocab) {
    return switch (name) {
      case "tiny" -> new LlamaConfig("llama", vocab, 64, 128, 2, 4, 2, 16, 1e-6, 10000.0, 512,
          true, false, 101, 102, 0);
      case "small" -> new LlamaConfig("llama", vocab, 256, 768, 4, 8, 4, 32, 1e-6, 10000.0, 512,
          true, false, 101, 102, 0);
      default -> throw new IllegalArgumentException("unknown size '" + name + "' (tiny, small)");
    };
  }
}
