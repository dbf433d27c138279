package org.disranker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning a tiny random BERT on a toy collection: it learns, and resuming is exact. */
class FineTunerTest {
  @TempDir Path tmp;

  static BertCheckpoint tiny;
  static final Map<String, Query> QUERIES = new LinkedHashMap<>();
  static final Map<String, Document> DOCS = new LinkedHashMap<>();
  static Qrels qrels;

  @BeforeAll
  static void setUp() throws IOException {
    Progress.setQuiet(true);
    byte[] tok = BertCheckpoint.minilmTokenizer();
    tiny = BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2, 1e-12), 7, tok);
    String[][] data = {
      {"q1", "how do wings make lift", "wings make lift by turning air down", "the stock market fell"},
      {"q2", "boiling point of water", "water boils at one hundred degrees", "cats sleep all day"},
      {"q3", "capital of france", "paris is the capital of france", "a recipe for bread"},
    };
    Qrels.Builder b = Qrels.builder();
    for (String[] d : data) {
      QUERIES.put(d[0], new Query(d[0], d[1]));
      DOCS.put(d[0] + "+", new Document(d[0] + "+", "", d[2]));
      DOCS.put(d[0] + "-", new Document(d[0] + "-", "", d[3]));
      b.add(d[0], d[0] + "+", 3);
      b.add(d[0], d[0] + "-", 0);
    }
    qrels = b.build();
  }

  static FineTuneConfig config(String loss, int steps, int every) {
    return new FineTuneConfig(loss, 1.0, steps, 3, 1e-3, 0, 0.1, 0.01, 1.0, 32, 100, 3, 11, every);
  }

  FineTuner.Result run(FineTuneConfig c, Path out, long stopAfter) {
    TrainingPairs pairs = TrainingPairs.fromQrels(qrels, DOCS.keySet(), c.capPerQuery(),
        c.seed());
    return new FineTuner(c, Device.cpu()).train(tiny, pairs, QUERIES, DOCS, out, null, stopAfter);
  }

  @Test
  void marginLossFallsWhileFittingTheToyPairs() {
    FineTuner.Result r = run(config("margin", 40, 0), tmp.resolve("a"), -1);
    List<Double> l = r.losses();
    assertEquals(40, l.size());
    double first = (l.get(0) + l.get(1) + l.get(2)) / 3;
    double last = (l.get(37) + l.get(38) + l.get(39)) / 3;
    assertTrue(last < first * 0.5, "loss " + first + " -> " + last);
    assertTrue(Files.isRegularFile(r.model().resolve("model.safetensors")));
    assertTrue(Files.isRegularFile(tmp.resolve("a/loss.tsv")));
  }

  @Test
  void pointwiseLossAlsoTrains() {
    List<Double> l = run(config("pointwise", 30, 0), tmp.resolve("p"), -1).losses();
    assertTrue(l.get(29) < l.get(0), "loss " + l.get(0) + " -> " + l.get(29));
  }

  @Test
  void resumedTrainingEndsWithTheSameWeights() throws IOException {
    FineTuneConfig c = config("margin", 6, 0);
    run(c, tmp.resolve("straight"), -1);
    FineTuner.Result half = run(c, tmp.resolve("resumed"), 3);
    assertTrue(half.interrupted());
    assertEquals(3, half.steps());
    assertFalse(Files.exists(tmp.resolve("resumed/model")));
    FineTuner.Result rest = run(c, tmp.resolve("resumed"), -1);
    assertFalse(rest.interrupted());
    assertEquals(6, rest.losses().size());
    assertArrayEquals(Files.readAllBytes(tmp.resolve("straight/model/model.safetensors")),
        Files.readAllBytes(tmp.resolve("resumed/model/model.safetensors")));
  }

  @Test
  void aFinishedRunIsNotTrainedAgain() throws IOException {
    FineTuneConfig c = config("margin", 3, 0);
    run(c, tmp.resolve("f"), -1);
    Path weights = tmp.resolve("f/model/model.safetensors");
    long stamp = Files.getLastModifiedTime(weights).toMillis();
    assertFalse(Files.exists(tmp.resolve("f/checkpoint")));
    FineTuner.Result again = run(c, tmp.resolve("f"), -1);
    assertEquals(3, again.losses().size());
    assertEquals(stamp, Files.getLastModifiedTime(weights).toMillis());
    assertThrows(IllegalArgumentException.class, () -> run(config("margin", 4, 0),
        tmp.resolve("f"), -1));
  }

  @Test
  void resumingWithAnotherConfigIsRefused() {
    run(config("margin", 6, 0), tmp.resolve("x"), 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> run(config("margin", 8, 0), tmp.resolve("x"), -1));
    assertTrue(e.getMessage().contains("another config"));
  }

  @Test
  void learningRateWarmsUpThenDecaysToZero() {
    FineTuneConfig c = config("margin", 10, 0); // warm-up 1 step
    assertEquals(1e-3, c.learningRateAt(0), 1e-12);
    assertEquals(1e-3 * 8 / 9, c.learningRateAt(2), 1e-12);
    assertEquals(1e-3 / 9, c.learningRateAt(9), 1e-12);
  }
}
