package org.disranker.model.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.model.io.Tensor;
import org.disranker.model.tokenize.PairTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint I/O and the encoder on a tiny random BERT. */
class BertCheckpointTest {
  @TempDir Path dir;
  static byte[] tokenizer;
  static final BertConfig TINY = new BertConfig(30522, 32, 3, 4, 48, 64, 2, 1e-12);

  @BeforeAll
  static void load() throws IOException {
    tokenizer = BertCheckpoint.minilmTokenizer();
  }

  static float[] scores(BertCheckpoint c) {
    try (BertModel m = BertModel.create(c, Device.cpu());
        PairTokenizer t = new PairTokenizer(c.tokenizerJson(), 32)) {
      return PairScorer.scoreAll(new DjlScorer(m), t, List.of("a query", "another query here"),
          List.of("some document text", "short"), 8, "test");
    }
  }

  @Test
  void savedFolderLoadsBackToTheSameScores() {
    BertCheckpoint c = BertCheckpoint.random(TINY, 1, tokenizer);
    c.save(dir.resolve("m"));
    BertCheckpoint back = BertCheckpoint.load(dir.resolve("m"));
    assertEquals(TINY, back.config());
    assertEquals(c.weights(), back.weights());
    assertArrayEquals(scores(c), scores(back));
  }

  @Test
  void modelWeightsSurviveAPassThroughDjl() {
    BertCheckpoint c = BertCheckpoint.random(TINY, 2, tokenizer);
    try (BertModel m = BertModel.create(c, Device.cpu())) {
      assertEquals(c.weights(), m.toCheckpoint(tokenizer).weights());
    }
  }

  @Test
  void firstLayersKeepsTheBottomOfTheStack() {
    BertCheckpoint c = BertCheckpoint.random(TINY, 3, tokenizer);
    BertCheckpoint two = c.firstLayers(2);
    assertEquals(2, two.config().numLayers());
    assertEquals(c.weights().get("encoder.layer.1.output.dense.weight"),
        two.weights().get("encoder.layer.1.output.dense.weight"));
    assertTrue(two.weights().keySet().stream().noneMatch(k -> k.startsWith("encoder.layer.2.")));
    assertThrows(IllegalArgumentException.class, () -> c.firstLayers(4));
  }

  @Test
  void missingOrMisshapenTensorsAreNamed() {
    BertCheckpoint c = BertCheckpoint.random(TINY, 4, tokenizer);
    Map<String, Tensor> w = new LinkedHashMap<>(c.weights());
    w.remove("encoder.layer.2.output.LayerNorm.bias");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> BertCheckpoint.of(TINY, w,
        tokenizer)).getMessage().contains("encoder.layer.2.output.LayerNorm.bias"));
    Map<String, Tensor> w2 = new LinkedHashMap<>(c.weights());
    w2.put("embeddings.LayerNorm.bias", Tensor.ofFloats(new long[] {3}, new float[3]));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> BertCheckpoint.of(TINY, w2,
        tokenizer)).getMessage().contains("has shape [3]"));
  }

  @Test
  void paddingDoesNotChangeAScore() {
    BertCheckpoint c = BertCheckpoint.random(TINY, 5, tokenizer);
    try (BertModel m = BertModel.create(c, Device.cpu());
        PairTokenizer t = new PairTokenizer(tokenizer, 32)) {
      DjlScorer s = new DjlScorer(m);
      PairTokenizer.Pair shortPair = t.encode("q", "a short one");
      PairTokenizer.Pair longPair = t.encode("q", "a much longer document with many more words");
      float alone = s.score(Batch.of(List.of(shortPair)))[0];
      float padded = s.score(Batch.of(List.of(shortPair, longPair)))[0];
      assertEquals(alone, padded, 1e-5f);
    }
  }
}
