package org.disranker.model.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import org.disranker.model.bert.BertCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PairTokenizerTest {
  static byte[] json;

  @BeforeAll
  static void load() throws IOException {
    json = BertCheckpoint.minilmTokenizer();
  }

  @Test
  void framesPairsWithClsSepAndTokenTypes() {
    try (PairTokenizer t = new PairTokenizer(json, 64)) {
      PairTokenizer.Pair p = t.encode("hello world", "good morning");
      // BERT uncased vocabulary: [CLS]=101, hello=7592, world=2088, [SEP]=102, good=2204,
      // morning=2851
      assertArrayEquals(new long[] {101, 7592, 2088, 102, 2204, 2851, 102}, p.ids());
      assertArrayEquals(new long[] {0, 0, 0, 0, 1, 1, 1}, p.typeIds());
    }
  }

  @Test
  void documentIsTruncatedBeforeTheQuery() {
    try (PairTokenizer t = new PairTokenizer(json, 8)) {
      PairTokenizer.Pair p = t.encode("hello world", "one two three four five six");
      assertEquals(8, p.length());
      assertArrayEquals(new long[] {101, 7592, 2088, 102, 2028, 2048, 2093, 102}, p.ids());
      // a query longer than the budget is cut too, leaving no document
      PairTokenizer.Pair q = t.encode("one two three four five six seven", "doc");
      assertEquals(8, q.length());
      assertEquals(102, q.ids()[6]);
      assertEquals(102, q.ids()[7]);
    }
  }

  @Test
  void batchEncodingEqualsOneByOne() {
    try (PairTokenizer t = new PairTokenizer(json, 16)) {
      List<PairTokenizer.Pair> all = t.encodeAll(List.of("a b", "what is up"), List.of("c d e",
          "nothing much at all really, thanks for asking"));
      assertArrayEquals(t.encode("what is up", "nothing much at all really, thanks for asking")
          .ids(), all.get(1).ids());
    }
  }
}
