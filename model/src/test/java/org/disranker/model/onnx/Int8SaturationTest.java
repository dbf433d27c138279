package org.disranker.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.io.Tensor;
import org.disranker.model.tokenize.PairTokenizer;
import org.junit.jupiter.api.Test;

/**
 * The int8 export's integer products stay exact on x86 CPUs without VNNI. There ONNX Runtime
 * multiplies uint8 activations by int8 weights with vpmaddubsw, which adds each two neighbouring
 * products (k = 2p, 2p + 1) in a signed 16-bit lane that saturates at ±32,767; the sums of those
 * pairs then go on in 32 bits. This test is a Java reference of that product, run on the exported
 * weights of all-MiniLM-L6-v2 (the default student's start) and on real activations: the
 * quantized inputs of its first layer for a real passage, quantized per token as the exported
 * graph does. It holds on any CPU, the developer's VNNI one included.
 */
class Int8SaturationTest {
  static final String[] PROJECTIONS = {"attention.self.query", "attention.self.key",
      "attention.self.value"};

  /** Pair sums that leave the signed 16-bit range, over every row of x and column of w. */
  static long saturatedPairs(int[][] xq, BertOnnxExporter.QuantizedWeight w) {
    long n = 0;
    for (int[] row : xq) {
      for (int col = 0; col < w.n(); col++) {
        for (int k = 0; k + 1 < w.k(); k += 2) {
          int s = row[k] * w.values()[k * w.n() + col] + row[k + 1] * w.values()[(k + 1) * w.n()
              + col];
          if (s > Short.MAX_VALUE || s < Short.MIN_VALUE) {
            n++;
          }
        }
      }
    }
    return n;
  }

  /** Rows quantized to uint8 as the export does: the row's range widened to hold 0, /255. */
  static int[][] quantizeRows(float[][] x) {
    int[][] out = new int[x.length][];
    for (int r = 0; r < x.length; r++) {
      float hi = 0;
      float lo = 0;
      for (float v : x[r]) {
        hi = Math.max(hi, v);
        lo = Math.min(lo, v);
      }
      float scale = Math.max((hi - lo) / 255f, 1e-12f);
      int z = Math.round(-lo / scale);
      out[r] = new int[x[r].length];
      for (int c = 0; c < x[r].length; c++) {
        out[r][c] = Math.max(0, Math.min(255, Math.round(x[r][c] / scale) + z));
      }
    }
    return out;
  }

  /** The embedding layer's output (word + position + type, LayerNorm) for a real passage. */
  static float[][] firstLayerInput(BertCheckpoint c, String query, String passage) {
    PairTokenizer.Pair p;
    try (PairTokenizer tok = new PairTokenizer(c.tokenizerJson(), 128)) {
      p = tok.encode(query, passage);
    }
    Map<String, Tensor> w = c.weights();
    float[] word = w.get("embeddings.word_embeddings.weight").toFloats();
    float[] pos = w.get("embeddings.position_embeddings.weight").toFloats();
    float[] type = w.get("embeddings.token_type_embeddings.weight").toFloats();
    float[] g = w.get("embeddings.LayerNorm.weight").toFloats();
    float[] b = w.get("embeddings.LayerNorm.bias").toFloats();
    int h = g.length;
    float[][] out = new float[p.length()][h];
    for (int t = 0; t < p.length(); t++) {
      double mean = 0;
      for (int i = 0; i < h; i++) {
        out[t][i] = word[(int) p.ids()[t] * h + i] + pos[t * h + i]
            + type[(int) p.typeIds()[t] * h + i];
        mean += out[t][i];
      }
      mean /= h;
      double var = 0;
      for (int i = 0; i < h; i++) {
        var += (out[t][i] - mean) * (out[t][i] - mean);
      }
      double inv = 1 / Math.sqrt(var / h + c.config().layerNormEps());
      for (int i = 0; i < h; i++) {
        out[t][i] = (float) ((out[t][i] - mean) * inv * g[i] + b[i]);
      }
    }
    return out;
  }

  @Test
  void exportedWeightsNeverSaturateASixteenBitPairOnRealActivations() {
    BertCheckpoint c = BertCheckpoint.minilm();
    int[][] xq = quantizeRows(firstLayerInput(c, "what causes lift on an airplane wing",
        "Lift is produced when air flows faster over the curved upper surface of a wing than"
            + " under it; the pressure difference pushes the wing up, as Bernoulli described."));
    long full = 0;
    for (String proj : PROJECTIONS) {
      Tensor w = c.weights().get("encoder.layer.0." + proj + ".weight");
      assertEquals(0, saturatedPairs(xq, BertOnnxExporter.quantize(w)), proj
          + ": a 16-bit pair saturated with the exported (7-bit) weights");
      full += saturatedPairs(xq, BertOnnxExporter.quantize(w, 127));
    }
    System.out.println("int8 weights up to ±127 would saturate " + full
        + " pair sums of layer 0 on this passage");
    assertTrue(full > 0, "the reference finds the saturation that full-range int8 weights give");
  }

  @Test
  void noActivationCanSaturateAnyExportedWeightPair() {
    // the worst case over all uint8 activations, for every quantized matrix of the model
    BertCheckpoint c = BertCheckpoint.minilm();
    for (Map.Entry<String, Tensor> e : c.weights().entrySet()) {
      if (!e.getKey().startsWith("encoder.") || !e.getKey().endsWith(".weight")
          || e.getValue().shape().length != 2) {
        continue;
      }
      BertOnnxExporter.QuantizedWeight w = BertOnnxExporter.quantize(e.getValue());
      for (int col = 0; col < w.n(); col++) {
        for (int k = 0; k + 1 < w.k(); k += 2) {
          int a = w.values()[k * w.n() + col];
          int b = w.values()[(k + 1) * w.n() + col];
          int up = 255 * (Math.max(a, 0) + Math.max(b, 0));
          int down = 255 * (Math.min(a, 0) + Math.min(b, 0));
          assertTrue(up <= Short.MAX_VALUE && down >= Short.MIN_VALUE, e.getKey() + " column "
              + col + " codes " + a + ", " + b);
        }
      }
    }
  }
}
