package org.disranker.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.disranker.core.util.Progress;
import org.disranker.serve.BiEncoder;
import org.junit.jupiter.api.Test;

/** The bi-encoder teachers whose jars this module brings: bge-small, e5-small and its int8 copy. */
class BiEncoderTeachersTest {
  static final List<String> QUERIES = List.of("what is lift", "what is lift",
      "how do vaccines work", "how do vaccines work");
  static final List<String> DOCS = List.of("the wings of an airplane produce lift",
      "the stock market fell sharply today",
      "a vaccine trains the immune system to recognise a virus",
      "the wings of an airplane produce lift");

  static float[] score(BiEncoder.Spec spec) {
    Progress.setQuiet(true);
    try (BiEncoder b = new BiEncoder(spec, 128, 1)) {
      return b.score(QUERIES, DOCS, 2);
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
}
