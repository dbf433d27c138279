package org.disranker.model.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
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

  @Test
  void dropoutIsSeededAndRateZeroIsTheInferencePass() {
    BertCheckpoint c = BertCheckpoint.random(TINY, 6, tokenizer);
    try (BertModel m = BertModel.create(c, Device.cpu());
        PairTokenizer t = new PairTokenizer(tokenizer, 32);
        NDManager sub = m.manager().newSubManager()) {
      Batch b = Batch.of(List.of(t.encode("wing lift", "the wings of an airplane produce lift"),
          t.encode("wing lift", "the stock market fell")));
      float[] plain = m.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub)).toFloatArray();
      assertArrayEquals(plain, m.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub), 0f)
          .toFloatArray());
      Engine.getInstance().setRandomSeed(7);
      float[] a = m.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub), 0.3f)
          .toFloatArray();
      Engine.getInstance().setRandomSeed(7);
      float[] again = m.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub), 0.3f)
          .toFloatArray();
      Engine.getInstance().setRandomSeed(8);
      float[] other = m.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub), 0.3f)
          .toFloatArray();
      assertArrayEquals(a, again, "the same seed draws the same masks");
      assertTrue(Math.abs(a[0] - plain[0]) > 1e-6 && Math.abs(a[0] - other[0]) > 1e-6,
          "dropout changes the score, and another seed changes it differently");
    }
  }

  /**
   * The saved folder is what transformers' BertForSequenceClassification (num_labels 1) loads:
   * its config, and exactly its state-dict names and shapes: {@code bert.} before the encoder and
   * the pooler, the one-logit classifier outside.
   */
  @Test
  void savedFolderIsBertForSequenceClassification() throws IOException {
    BertCheckpoint.random(TINY, 6, tokenizer).save(dir.resolve("hf"));
    var cfg = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        dir.resolve("hf/config.json").toFile());
    assertEquals("BertForSequenceClassification", cfg.get("architectures").get(0).asText());
    assertEquals("bert", cfg.get("model_type").asText());
    assertEquals(1, cfg.get("id2label").size());
    assertEquals(32, cfg.get("hidden_size").asInt());
    assertEquals(3, cfg.get("num_hidden_layers").asInt());
    assertEquals("gelu", cfg.get("hidden_act").asText());
    assertTrue(java.nio.file.Files.isRegularFile(dir.resolve("hf/tokenizer_config.json")));
    Map<String, long[]> want = new LinkedHashMap<>();
    long h = 32;
    want.put("bert.embeddings.word_embeddings.weight", new long[] {30522, h});
    want.put("bert.embeddings.position_embeddings.weight", new long[] {64, h});
    want.put("bert.embeddings.token_type_embeddings.weight", new long[] {2, h});
    want.put("bert.embeddings.LayerNorm.weight", new long[] {h});
    want.put("bert.embeddings.LayerNorm.bias", new long[] {h});
    for (int i = 0; i < 3; i++) {
      String p = "bert.encoder.layer." + i + ".";
      for (String lin : List.of("attention.self.query", "attention.self.key",
          "attention.self.value", "attention.output.dense")) {
        want.put(p + lin + ".weight", new long[] {h, h});
        want.put(p + lin + ".bias", new long[] {h});
      }
      want.put(p + "attention.output.LayerNorm.weight", new long[] {h});
      want.put(p + "attention.output.LayerNorm.bias", new long[] {h});
      want.put(p + "intermediate.dense.weight", new long[] {48, h});
      want.put(p + "intermediate.dense.bias", new long[] {48});
      want.put(p + "output.dense.weight", new long[] {h, 48});
      want.put(p + "output.dense.bias", new long[] {h});
      want.put(p + "output.LayerNorm.weight", new long[] {h});
      want.put(p + "output.LayerNorm.bias", new long[] {h});
    }
    want.put("bert.pooler.dense.weight", new long[] {h, h});
    want.put("bert.pooler.dense.bias", new long[] {h});
    want.put("classifier.weight", new long[] {1, h});
    want.put("classifier.bias", new long[] {1});
    Map<String, Tensor> saved = org.disranker.model.io.Safetensors.read(
        dir.resolve("hf/model.safetensors"));
    assertEquals(new java.util.TreeSet<>(want.keySet()), new java.util.TreeSet<>(saved.keySet()));
    want.forEach((k, shape) -> assertArrayEquals(shape, saved.get(k).shape(), k));
  }

  @Test
  void aSentenceEncoderGetsASmallRandomHeadThatPassesGradient() {
    BertCheckpoint c = BertCheckpoint.random(TINY, 7, tokenizer);
    Map<String, Tensor> encoderOnly = new LinkedHashMap<>(c.weights());
    BertCheckpoint.HEAD.forEach(encoderOnly::remove);
    BertCheckpoint a = BertCheckpoint.of(TINY, encoderOnly, tokenizer);
    BertCheckpoint b = BertCheckpoint.of(TINY, encoderOnly, tokenizer);
    float[] w = a.weights().get("classifier.weight").toFloats();
    double sq = 0;
    for (float x : w) {
      sq += x * x;
    }
    double sd = Math.sqrt(sq / w.length);
    assertTrue(sd > 0.01 && sd < 0.04, "classifier weights sd " + sd); // N(0, 0.02)
    assertEquals(a.weights(), b.weights()); // seeded
    float[] sc = scores(a);
    assertTrue(sc[0] != sc[1], "a random head scores two pairs differently");
    // a classifier without a pooler is a student of the old layout: refused, not misread
    Map<String, Tensor> legacy = new LinkedHashMap<>(c.weights());
    legacy.remove("pooler.dense.weight");
    legacy.remove("pooler.dense.bias");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> BertCheckpoint.of(TINY,
        legacy, tokenizer)).getMessage().contains("no pooler"));
  }
}
