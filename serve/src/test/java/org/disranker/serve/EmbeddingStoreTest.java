package org.disranker.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.util.Progress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding store against the per-pair path, with e5-small-int8: the teacher of the default
 * pipeline, and a model whose int8 activations are quantized per tensor, so any batch effect
 * would show in its scores.
 */
class EmbeddingStoreTest {
  static final String MODEL = "e5-small-int8";
  @TempDir Path dir;

  @BeforeAll
  static void quiet() {
    Progress.setQuiet(true);
  }

  /** Three queries; passages shared between them, of different lengths. */
  static List<List<PairText>> pool() {
    String[] q = {"what is lift", "how do vaccines work", "why is the sky blue"};
    String[] d = {"the wings of an airplane produce lift because air flows faster over the top",
        "the stock market fell sharply today", "a vaccine trains the immune system to recognise"
            + " a virus before the body meets it, so that an infection is fought off early",
        "rayleigh scattering sends blue light in every direction", "lift"};
    List<List<PairText>> out = new ArrayList<>();
    for (int i = 0; i < q.length; i++) {
      List<PairText> l = new ArrayList<>();
      for (int j = 0; j < d.length; j++) {
        if ((i + j) % 4 != 3) {
          l.add(new PairText("q" + i, "d" + j, q[i], j == 2 ? "Vaccines" : "", d[j]));
        }
      }
      out.add(l);
    }
    return out;
  }

  @Test
  void givesThePerPairPathsScoresToTheFloat() throws IOException {
    List<List<PairText>> pool = pool();
    Path perPair = dir.resolve("per-pair.tsv");
    try (QueryScorer s = ScorerSpec.biEncoder(MODEL, 64, 4, 1).open()) {
      PoolScorer.score(pool, s, perPair, Map.of(), null, -1);
    }
    Path stored = dir.resolve("store.tsv");
    try (EmbeddingStore st = EmbeddingStore.open(dir.resolve("emb"), new BiEncoder(
        BiEncoder.Spec.named(MODEL), 64, 2))) {
      EmbeddingStore.PoolResult r = st.scorePool(pool, stored, Map.of(), null, null);
      assertEquals(3 + 5, st.size(), "each distinct query and passage once");
      assertEquals(8, r.distinctTexts());
      assertEquals(8, r.embeddedNow());
      assertFalse(r.interrupted());
    }
    assertEquals(Files.readString(perPair), Files.readString(stored));
    // and BiEncoder.score, pair by pair, each pair alone
    try (BiEncoder b = new BiEncoder(BiEncoder.Spec.named(MODEL), 64, 1)) {
      List<String> lines = Files.readAllLines(stored);
      int i = 0;
      for (List<PairText> l : pool) {
        for (PairText p : l) {
          float alone = b.score(List.of(p.query()), List.of(p.studentText()))[0];
          assertEquals(Float.toString(alone), lines.get(i++).split("\t")[2]);
        }
      }
    }
  }

  @Test
  void resumesAfterAKillAndEmbedsOnlyWhatIsMissing() throws IOException {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < EmbeddingStore.CHUNK + 20; i++) {
      texts.add("passage: passage number " + i + " is about " + (i % 7) + " things");
    }
    Path root = dir.resolve("emb");
    Path file;
    int[] checks = {0};
    try (EmbeddingStore st = EmbeddingStore.open(root, new BiEncoder(BiEncoder.Spec.named(MODEL),
        32, 2))) {
      // stopped after its first chunk, as a kill between two appends leaves it
      assertFalse(st.ensure(texts, null, () -> checks[0]++ > 0));
      assertEquals(EmbeddingStore.CHUNK, st.size());
      file = st.dir().resolve("vectors.bin");
    }
    // a kill in the middle of the next append: a torn record at the end
    Files.write(file, new byte[] {1, 2, 3, 4, 5, 6, 7}, StandardOpenOption.APPEND);
    float[][] resumed = new float[texts.size()][];
    try (EmbeddingStore st = EmbeddingStore.open(root, new BiEncoder(BiEncoder.Spec.named(MODEL),
        32, 2))) {
      assertEquals(EmbeddingStore.CHUNK, st.size(), "the torn record is cut");
      assertTrue(st.ensure(texts, null, null));
      assertEquals(20, st.embeddedNow(), "only the texts not yet stored are embedded");
      for (int i = 0; i < texts.size(); i++) {
        resumed[i] = st.vector(texts.get(i));
      }
    }
    try (EmbeddingStore fresh = EmbeddingStore.open(dir.resolve("fresh"), new BiEncoder(
        BiEncoder.Spec.named(MODEL), 32, 1))) {
      fresh.ensure(texts, null, null);
      for (int i = 0; i < texts.size(); i++) {
        assertArrayEquals(fresh.vector(texts.get(i)), resumed[i], "text " + i);
      }
    }
  }

  @Test
  void anotherLengthIsAnotherStoreAndAForeignStoreIsRefused() throws IOException {
    Path root = dir.resolve("emb");
    Path a;
    try (EmbeddingStore st = EmbeddingStore.open(root, new BiEncoder(BiEncoder.Spec.named(MODEL),
        32, 1))) {
      st.ensure(List.of("query: x"), null, null);
      a = st.dir();
    }
    try (EmbeddingStore st = EmbeddingStore.open(root, new BiEncoder(BiEncoder.Spec.named(MODEL),
        16, 1))) {
      assertNotEquals(a, st.dir());
      assertEquals(0, st.size());
    }
    Path meta = a.resolve("store.json");
    Files.writeString(meta, Files.readString(meta).replaceAll("\"fingerprint\" : \"[0-9a-f]+\"",
        "\"fingerprint\" : \"0000\""));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EmbeddingStore.open(root, new BiEncoder(BiEncoder.Spec.named(MODEL), 32, 1)));
    assertTrue(e.getMessage().contains("another encoder"), e.getMessage());
  }
}
