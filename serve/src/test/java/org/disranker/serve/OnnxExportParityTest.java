package org.disranker.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.bert.DjlScorer;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.io.Tensor;
import org.disranker.model.onnx.BertOnnxExporter;
import org.disranker.model.tokenize.PairTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The exported ONNX cross-encoder scores as the DJL student does; int8 stays close. */
class OnnxExportParityTest {
  static BertCheckpoint ckpt;
  static List<String> queries = new ArrayList<>();
  static List<String> docs = new ArrayList<>();
  static float[] djl;

  /** MiniLM with a random (seeded) head, so that scores depend on every weight. */
  static BertCheckpoint withRandomHead(BertCheckpoint c) {
    Random r = new Random(3);
    float[] w = new float[c.config().hiddenSize()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() / Math.sqrt(w.length));
    }
    Map<String, Tensor> m = new LinkedHashMap<>(c.weights());
    m.put("classifier.weight", Tensor.ofFloats(new long[] {1, w.length}, w));
    m.put("classifier.bias", Tensor.ofFloats(new long[] {1}, new float[] {0.25f}));
    return BertCheckpoint.of(c.config(), m, c.tokenizerJson());
  }

  @BeforeAll
  static void scoreWithDjl() {
    Path dir = Datasets.dataRoot().resolve("trec-dl/dl19");
    assumeTrue(Files.isDirectory(dir), "shared data not found at " + dir);
    Dataset d = Datasets.open(dir, null);
    for (String qid : d.queries().keySet()) {
      for (var sd : d.firstStage().get(qid).subList(0, 8)) {
        queries.add(d.queries().get(qid).text());
        docs.add(d.documents().get(sd.docid()).text());
      }
      if (queries.size() >= 48) {
        break;
      }
    }
    ckpt = withRandomHead(BertCheckpoint.minilm());
    try (BertModel model = BertModel.create(ckpt, Device.cpu());
        PairTokenizer tok = new PairTokenizer(ckpt.tokenizerJson(), 256)) {
      djl = PairScorer.scoreAll(new DjlScorer(model), tok, queries, docs, 16, "djl");
    }
  }

  float[] onnxScores(boolean int8) {
    try (OnnxScorer s = OnnxScorer.load(BertOnnxExporter.export(ckpt, int8), 2);
        PairTokenizer tok = new PairTokenizer(ckpt.tokenizerJson(), 256)) {
      return PairScorer.scoreAll(s, tok, queries, docs, 16, "onnx");
    }
  }

  @Test
  void exportedFp32ModelMatchesDjl() {
    float[] onnx = onnxScores(false);
    assertEquals(djl.length, onnx.length);
    double max = 0;
    for (int i = 0; i < djl.length; i++) {
      max = Math.max(max, Math.abs(djl[i] - onnx[i]));
    }
    System.out.println("ONNX fp32 vs DJL, max abs score difference: " + max);
    assertTrue(max < 1e-4, "max abs difference " + max);
  }

  @Test
  void int8ModelStaysCloseToFp32() {
    float[] q = onnxScores(true);
    double max = 0;
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < djl.length; i++) {
      max = Math.max(max, Math.abs(djl[i] - q[i]));
      ma += djl[i];
      mb += q[i];
    }
    ma /= djl.length;
    mb /= djl.length;
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < djl.length; i++) {
      sab += (djl[i] - ma) * (q[i] - mb);
      saa += (djl[i] - ma) * (djl[i] - ma);
      sbb += (q[i] - mb) * (q[i] - mb);
    }
    double corr = sab / Math.sqrt(saa * sbb);
    System.out.println("ONNX int8 vs fp32: max abs difference " + max + ", Pearson " + corr);
    assertTrue(corr > 0.98, "int8 scores correlate " + corr + " with fp32");
  }
}
