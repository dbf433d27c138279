package org.disranker.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.disranker.model.bert.BertModel;
import org.disranker.model.llm.DecoderBatch;
import org.disranker.model.llm.LlamaCheckpoint;
import org.disranker.model.llm.LlamaConfig;
import org.disranker.model.llm.LlamaModel;
import org.disranker.model.llm.LoraConfig;
import org.disranker.model.tokenize.PairTokenizer;
import org.junit.jupiter.api.Test;

/**
 * Gradients stay finite when the garbage collector runs between forward and backward. A constant
 * passed to the engine as a Java number lives in a native scalar the backward pass reads again;
 * once that scalar's memory could be reclaimed in between, and gradients came out infinite now
 * and then (regression test: forced collections made it happen every other step).
 */
class GarbageCollectionTest {
  static void churn() {
    byte[][] junk = new byte[100][];
    for (int j = 0; j < junk.length; j++) {
      junk[j] = new byte[1 << 16];
    }
    System.gc();
  }

  static void assertFinite(Map<String, NDArray> params) {
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray g = e.getValue().getGradient();
      assertTrue(Float.isFinite(g.norm().getFloat()), "gradient of " + e.getKey());
      g.muli(0);
      g.close();
    }
  }

  @Test
  void bertLossesSurviveCollections() {
    BertCheckpoint tiny = BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2,
        1e-12), 5, BertCheckpoint.minilmTokenizer());
    try (BertModel m = BertModel.create(tiny, Device.cpu());
        PairTokenizer tok = new PairTokenizer(tiny.tokenizerJson(), 32)) {
      m.parameters().forEach(p -> p.setRequiresGradient(true));
      Batch b = Batch.of(tok.encodeAll(List.of("how do wings make lift", "how do wings"),
          List.of("wings make lift by turning air", "the stock market fell today")));
      for (int it = 0; it < 12; it++) {
        try (NDManager sub = m.manager().newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray s = m.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub));
          NDArray loss = it % 2 == 0 ? Losses.pairwiseMargin(s, 1.0)
              : Losses.distill(s, sub.create(new float[] {1f, 0f}), "hybrid", 0.4);
          churn();
          gc.backward(loss);
        }
        assertFinite(m.namedParameters());
      }
    }
  }

  @Test
  void decoderWithLoraSurvivesCollections() {
    LlamaCheckpoint tiny = LlamaCheckpoint.random(new LlamaConfig("llama", 30522, 32, 64, 2, 4, 2,
        8, 1e-6, 10000.0, 128, true, false, 101, 102, 0), 3, BertCheckpoint.minilmTokenizer());
    try (LlamaModel m = LlamaModel.create(tiny, Device.cpu(), new LoraConfig(2, 8.0,
        List.of("q_proj", "v_proj"), 1))) {
      m.trainable().values().forEach(p -> p.setRequiresGradient(true));
      DecoderBatch b = DecoderBatch.of(List.of(new long[] {101, 7592, 2088, 102},
          new long[] {101, 2204, 102}), null, 0);
      for (int it = 0; it < 8; it++) {
        try (NDManager sub = m.manager().newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray s = m.score(b.idsArray(sub), b.maskArray(sub), false);
          NDArray loss = Losses.pairwiseMargin(s, 1.0);
          churn();
          gc.backward(loss);
        }
        assertFinite(m.trainable());
      }
    }
  }
}
