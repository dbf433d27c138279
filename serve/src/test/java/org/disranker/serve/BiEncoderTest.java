package org.disranker.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.bert.MeanPoolScorer;
import org.disranker.model.tokenize.PairTokenizer;
import org.junit.jupiter.api.Test;

/**
 * The ONNX Runtime bi-encoders: all-MiniLM-L6-v2, and bge-small, e5-small and its int8 copy
 * (their Maven jars are test dependencies here).
 */
class BiEncoderTest {
  static final List<String> QUERIES = List.of("what is lift", "what is lift",
      "how do vaccines work", "how do vaccines work");
  static final List<String> DOCS = List.of("the wings of an airplane produce lift",
      "the stock market fell sharply today",
      "a vaccine trains the immune system to recognise a virus",
      "the wings of an airplane produce lift");

  @Test
  void separatesAnObviouslyRelevantPassageFromAnIrrelevantOne() {
    Progress.setQuiet(true);
    try (BiEncoder b = new BiEncoder(BiEncoder.Spec.MINILM, 128, 1)) {
      float[] s = b.score(QUERIES, DOCS);
      assertTrue(s[0] > s[1] + 0.2, "lift: " + s[0] + " vs " + s[1]);
      assertTrue(s[2] > s[3] + 0.2, "vaccines: " + s[2] + " vs " + s[3]);
      for (float v : s) {
        assertTrue(v <= 1.0001f && v >= -1.0001f, "a cosine: " + v);
      }
    }
  }

  /** Mean pooling on ONNX Runtime equals the DJL mean-pool scorer on the same weights. */
  @Test
  void meanPoolingMatchesTheDjlScorer() {
    Progress.setQuiet(true);
    float[] ort;
    try (BiEncoder b = new BiEncoder(BiEncoder.Spec.MINILM, 128, 1)) {
      ort = b.score(QUERIES, DOCS);
    }
    BertCheckpoint c = BertCheckpoint.minilm();
    float[] djl;
    try (BertModel m = BertModel.create(c, Device.cpu());
        PairTokenizer tok = new PairTokenizer(c.tokenizerJson(), 128)) {
      djl = new MeanPoolScorer(m, tok).score(QUERIES, DOCS, 3);
    }
    for (int i = 0; i < ort.length; i++) {
      assertEquals(djl[i], ort[i], 1e-4, "pair " + i);
    }
    // [CLS] pooling is another function of the same states
    try (BiEncoder b = new BiEncoder(BiEncoder.Spec.MINILM.withPooling(BiEncoder.Pooling.CLS),
        128, 1)) {
      float[] cls = b.score(QUERIES, DOCS);
      assertTrue(Math.abs(cls[1] - ort[1]) > 1e-3);
    }
  }

  static float[] score(BiEncoder.Spec spec) {
    Progress.setQuiet(true);
    try (BiEncoder b = new BiEncoder(spec, 128, 1)) {
      return b.score(QUERIES, DOCS);
    }
  }

  @Test
  void eachTeacherSeparatesRelevantFromIrrelevant() {
    for (String name : List.of("bge-small", "e5-small", "e5-small-int8")) {
      float[] s = score(BiEncoder.Spec.named(name));
      assertTrue(s[0] > s[1], name + " on lift: " + s[0] + " vs " + s[1]);
      assertTrue(s[2] > s[3], name + " on vaccines: " + s[2] + " vs " + s[3]);
    }
  }

  @Test
  void theInt8E5ScoresCloseToItsOriginal() {
    float[] fp32 = score(BiEncoder.Spec.E5_SMALL);
    float[] int8 = score(BiEncoder.Spec.E5_SMALL_INT8);
    for (int i = 0; i < fp32.length; i++) {
      assertEquals(fp32[i], int8[i], 0.03, "pair " + i);
      assertTrue(fp32[i] != int8[i], "a different model, not the same file twice");
    }
  }

  @Test
  void theScorerSpecKnowsTheBiEncodersAndRefusesOthers() {
    assertThrows(IllegalArgumentException.class, () -> ScorerSpec.biEncoder("bert-huge", 64, 8,
        1));
    var e = assertThrows(IllegalArgumentException.class, () -> new ScorerSpec("biencoder",
        "minilm", "", 64, 8, 1, "last", ""));
    assertTrue(e.getMessage().contains("mean or cls"), e.getMessage());
    Progress.setQuiet(true);
    List<PairText> pairs = List.of(new PairText("q", "a", "what is lift", "",
        "the wings of an airplane produce lift"), new PairText("q", "b", "what is lift", "",
        "the stock market fell sharply today"));
    try (QueryScorer s = ScorerSpec.biEncoder("minilm", 128, 1, 1).open();
        BiEncoder b = new BiEncoder(BiEncoder.Spec.MINILM, 128, 1)) {
      float[] viaSpec = s.scoreQuery(pairs);
      float[] direct = b.score(QUERIES.subList(0, 2), DOCS.subList(0, 2));
      assertEquals(direct[0], viaSpec[0], 1e-5);
      assertEquals(direct[1], viaSpec[1], 1e-5);
    }
  }
}
