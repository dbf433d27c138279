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

  /**
   * Writes tokenizer_config.json and special_tokens_map.json beside a tokenizer.json of BERT's
   * WordPiece vocabulary, so that Hugging Face's AutoTokenizer opens the folder.
   */
  public static void writeTokenizerConfig(Path dir) {
    ObjectNode special = JSON.createObjectNode();
    special.put("cls_token", "[CLS]");
    special.put("sep_token", "[SEP]");
    special.put("pad_token", "[PAD]");
    special.put("unk_token", "[UNK]");
    special.put("mask_token", "[MASK]");
    ObjectNode tc = special.deepCopy();
    tc.put("tokenizer_class", "BertTokenizer");
    tc.put("do_lower_case", true);
    tc.put("model_max_length", 512);
    try {
      AtomicFiles.writeString(dir.resolve("special_tokens_map.json"),
          JSON.writeValueAsString(special) + "\n");
      AtomicFiles.writeString(dir.resolve("tokenizer_config.json"),
          JSON.writeValueAsString(tc) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

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


  /**
   * Writes the Hugging Face config.json of a {@code BertForSequenceClassification} cross-encoder
   * with one logit (the relevance score), so that transformers, sentence-transformers'
   * {@code CrossEncoder} and text-embeddings-inference load it as it is.
   */
  public void write(Path file) {
    ObjectNode o = JSON.createObjectNode();
    o.putArray("architectures").add("BertForSequenceClassification");
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
    o.put("initializer_range", 0.02);
    o.put("hidden_dropout_prob", 0.1);
    o.put("attention_probs_dropout_prob", 0.1);
    o.put("position_embedding_type", "absolute");
    o.put("pad_token_id", 0);
    o.putObject("id2label").put("0", "LABEL_0");
    o.putObject("label2id").put("LABEL_0", 0);
    try {
      AtomicFiles.writeString(file, JSON.writeValueAsString(o) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
