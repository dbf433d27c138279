package org.disranker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.clicks.ClickRecord;
import org.disranker.core.data.Document;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.llm.DecoderTokenizer;
import org.disranker.model.llm.LlamaCheckpoint;
import org.disranker.model.llm.LlamaConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The teacher stages on a tiny random decoder and a toy collection. */
class TeacherTrainerTest {
  @TempDir Path tmp;

  static LlamaCheckpoint tiny;
  static final Map<String, Query> QUERIES = new LinkedHashMap<>();
  static final Map<String, Document> DOCS = new LinkedHashMap<>();
  static Qrels qrels;
  static final List<ClickRecord> CLICKS = new ArrayList<>();

  @BeforeAll
  static void setUp() throws IOException {
    Progress.setQuiet(true);
    byte[] tok = BertCheckpoint.minilmTokenizer();
    tiny = LlamaCheckpoint.random(new LlamaConfig("llama", 30522, 32, 64, 2, 4, 2, 8, 1e-6,
        10000.0, 128, true, false, 101, 102, 0), 3, tok);
    String[][] data = {
      {"q1", "how do wings make lift", "Lift", "wings make lift by turning air down",
        "the stock market fell"},
      {"q2", "boiling point of water", "Water", "water boils at one hundred degrees",
        "cats sleep all day"},
      {"q3", "capital of france", "Paris", "paris is the capital of france", "a bread recipe"},
    };
    Qrels.Builder b = Qrels.builder();
    for (String[] d : data) {
      QUERIES.put(d[0], new Query(d[0], d[1]));
      DOCS.put(d[0] + "+", new Document(d[0] + "+", d[2], d[3]));
      DOCS.put(d[0] + "-", new Document(d[0] + "-", "", d[4]));
      b.add(d[0], d[0] + "+", 3);
      b.add(d[0], d[0] + "-", 0);
      CLICKS.add(new ClickRecord(d[0], d[1], d[0] + "+", d[2], d[3], 3));
    }
    qrels = b.build();
  }

  static TeacherConfig config(String stage, String loss, String pooling, int steps, int lora) {
    return new TeacherConfig(stage, loss, pooling, 1.0, 2, steps, 3, 3e-3, 0.1, 0.0, 1.0, 48,
        lora, 8.0, List.of("q_proj", "v_proj"), DecoderTokenizer.DEFAULT_TEMPLATE, 100, 0, 0.0,
        5, 0);
  }

  TrainingPairs pairs() {
    return TrainingPairs.fromQrels(qrels, DOCS.keySet(), 100, 5);
  }

  @Test
  void continuedPretrainingLowersPerplexityOnTheClickedText() {
    TeacherTrainer t = new TeacherTrainer(config("cpt", "lm", "last", 40, 0), Device.cpu());
    double before = t.perplexity(tiny, CLICKS);
    TeacherTrainer.CptResult r = t.cpt(tiny, CLICKS, tmp.resolve("cpt"), null, -1);
    double after = t.perplexity(LlamaCheckpoint.load(r.train().model()), CLICKS);
    assertTrue(after < before * 0.7, "perplexity " + before + " -> " + after);
    assertTrue(before > 1000, "a random model is near-uniform over 30k tokens: " + before);
  }

  @Test
  void sftWithTheMarginLossLearnsTheToyPairs() {
    TrainLoop.Result r = new TeacherTrainer(config("sft", "margin", "last", 40, 0), Device.cpu())
        .sft(tiny, pairs(), QUERIES, DOCS, tmp.resolve("sft"), null, -1);
    List<Double> l = r.losses();
    assertTrue(l.get(39) + l.get(38) < l.get(0) + l.get(1), "loss " + l);
  }

  @Test
  void listwiseLossAndMeanPoolingTrainToo() {
    TrainLoop.Result r = new TeacherTrainer(config("sft", "listwise", "mean", 25, 0),
        Device.cpu()).sft(tiny, pairs(), QUERIES, DOCS, tmp.resolve("lw"), null, -1);
    assertTrue(r.losses().get(24) < r.losses().get(0), "loss " + r.losses());
  }

  @Test
  void loraTrainingResumesExactlyAndSavesAMergedModel() throws IOException {
    TeacherConfig c = config("sft", "margin", "last", 6, 2);
    TeacherTrainer t = new TeacherTrainer(c, Device.cpu());
    TrainLoop.Result full = t.sft(tiny, pairs(), QUERIES, DOCS, tmp.resolve("a"), null, -1);
    TrainLoop.Result half = t.sft(tiny, pairs(), QUERIES, DOCS, tmp.resolve("b"), null, 3);
    assertTrue(half.interrupted());
    assertTrue(Files.isRegularFile(tmp.resolve("b/checkpoint/adapters.safetensors")));
    TrainLoop.Result resumed = t.sft(tiny, pairs(), QUERIES, DOCS, tmp.resolve("b"), null, -1);
    assertEquals(full.losses(), resumed.losses());
    // the same updates; the CPU kernels may round the last bit differently on tensors loaded
    // from the checkpoint (measured: at most 4e-8 on this machine), so not byte for byte
    LlamaCheckpoint merged = LlamaCheckpoint.load(tmp.resolve("a/model"));
    LlamaCheckpoint merged2 = LlamaCheckpoint.load(tmp.resolve("b/model"));
    merged.weights().forEach((name, w) -> {
      float[] x = w.toFloats();
      float[] y = merged2.weights().get(name).toFloats();
      for (int i = 0; i < x.length; i++) {
        assertEquals(x[i], y[i], 1e-6, name + "[" + i + "]");
      }
    });
    // merged: same tensor names as the base, base projections changed only where adapted
    assertEquals(tiny.weights().keySet(), merged.weights().keySet());
    assertEquals(tiny.weights().get("model.layers.0.self_attn.k_proj.weight"),
        merged.weights().get("model.layers.0.self_attn.k_proj.weight"));
    assertTrue(!tiny.weights().get("model.layers.0.self_attn.q_proj.weight").equals(
        merged.weights().get("model.layers.0.self_attn.q_proj.weight")));
  }
}
