package org.disranker.model.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.disranker.model.bert.BertCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DecoderTokenizerTest {
  static byte[] json;

  @BeforeAll
  static void load() throws IOException {
    json = BertCheckpoint.minilmTokenizer();
  }

  @Test
  void rankInputFollowsThePaperTemplate() {
    try (DecoderTokenizer t = new DecoderTokenizer(json, 101, 102, null)) {
      // <s> hello : world : good morning </s>, with ':' = 1024 in the BERT vocabulary
      assertArrayEquals(new long[] {101, 7592, 1024, 2088, 1024, 2204, 2851, 102},
          t.rankInput("hello", "world", "good morning", 64));
      // no title: the field stays empty
      assertArrayEquals(new long[] {101, 7592, 1024, 1024, 2204, 102},
          t.rankInput("hello", "", "good", 64));
    }
  }

  @Test
  void summaryIsCutFirstThenTitle() {
    try (DecoderTokenizer t = new DecoderTokenizer(json, 101, 102, null)) {
      long[] ids = t.rankInput("hello", "world", "one two three four", 8);
      assertEquals(8, ids.length);
      assertArrayEquals(new long[] {101, 7592, 1024, 2088, 1024, 2028, 2048, 102}, ids);
      long[] noSummary = t.rankInput("hello", "one two three", "four", 6);
      assertArrayEquals(new long[] {101, 7592, 1024, 2028, 1024, 102}, noSummary);
    }
  }

  @Test
  void cptExampleLabelsOnlyTheTarget() {
    try (DecoderTokenizer t = new DecoderTokenizer(json, 101, 102, null)) {
      DecoderTokenizer.Encoded e = t.cptExample("hello", "good morning", 32);
      assertArrayEquals(new long[] {101, 7592, 1024, 2204, 2851, 102}, e.ids());
      assertFalse(e.labels()[0] || e.labels()[1] || e.labels()[2]);
      assertTrue(e.labels()[3] && e.labels()[4] && e.labels()[5]);
      assertEquals(5, t.cptExample("hello", "good morning to you all", 5).length());
    }
  }
}
