package org.disranker.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.disranker.model.io.DType;
import org.disranker.model.io.Tensor;
import org.disranker.model.onnx.OnnxBuilder.Attr;

/**
 * Exports a BERT cross-encoder as a standard ONNX model (opset 17): inputs {@code input_ids},
 * {@code attention_mask}, {@code token_type_ids} (int64, [batch, sequence], both axes dynamic),
 * output {@code logits} (float, [batch, 1]). The graph is written from the weights, not copied
 * from another file, so any checkpoint this project loads can be exported.
 *
 * <p>With {@code int8}, every MatMul against a weight becomes an integer product on ONNX
 * Runtime's {@code MatMulIntegerToFloat} (the {@code com.microsoft} domain): int8 weights with a
 * scale per output column, uint8 activations with a scale per row (one token). Per row rather
 * than per tensor (as {@code DynamicQuantizeLinear} does): a pair's score then does not depend on
 * the other pairs of its batch (nor on their padding), and a token with small activations keeps
 * its resolution. Attention products and everything else stay float.
 */
public final class BertOnnxExporter {
  public static final int OPSET = 17;

  private final BertCheckpoint ckpt;
  private final boolean int8;
  private final OnnxBuilder g = new OnnxBuilder(OPSET);
  /** Names of the shared constants and shapes already in the graph. */
  private final java.util.Set<String> added = new java.util.HashSet<>();
  private String batchSeq;

  private BertOnnxExporter(BertCheckpoint ckpt, boolean int8) {
    this.ckpt = ckpt;
    this.int8 = int8;
  }

  /** The ONNX model bytes of a checkpoint, fp32 or dynamically quantized int8. */
  public static byte[] export(BertCheckpoint ckpt, boolean int8) {
    return new BertOnnxExporter(ckpt, int8).build();
  }

  private Tensor w(String name) {
    return ckpt.weights().get(name);
  }

  private String init(String name) {
    return g.initializer(name, w(name));
  }

  private String constF(String name, float... v) {
    long[] shape = v.length == 1 ? new long[0] : new long[] {v.length};
    return g.initializer(name, Tensor.ofFloats(shape, v));
  }

  /** An int64 constant, added once however often it is asked for. */
  private String constL(String name, boolean scalar, long... v) {
    if (!added.add(name)) {
      return name;
    }
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) {
      b.putLong(x);
    }
    long[] shape = scalar ? new long[0] : new long[] {v.length};
    return g.initializer(name, new Tensor(DType.I64, shape, b.array()));
  }

  /** x · W + b for a Hugging Face linear layer (weight [out, in]). */
  private String linear(String x, String prefix) {
    String y;
    if (int8) {
      y = quantizedMatMul(x, prefix, w(prefix + ".weight"), !prefix.equals("pooler.dense"));
    } else {
      String wn = g.initializer(prefix + ".weight.T", w(prefix + ".weight").transpose2d());
      y = g.op("MatMul", prefix + "/MatMul", List.of(x, wn));
    }
    return g.op("Add", prefix + "/Add", List.of(y, init(prefix + ".bias")));
  }

  /**
   * x · W in int8. W is symmetric per output column ({@code MatMulIntegerToFloat} applies those
   * scales), with 7-bit codes ({@link #WEIGHT_MAX}). x is quantized per row (one token) to uint8, by one QuantizeLinear over the rows,
   * with the row's own range (widened to hold 0), scale range / 255 and zero point z =
   * round(−min / scale). The kernel takes one zero point for all rows, so it computes with 128
   * and the difference comes back exactly, (xq − z)·W = (xq − 128)·W + (128 − z)·colsum(W); the
   * row scales multiply the result last. Rows symmetric around 128 would skip that correction
   * and run about a tenth faster, but halve the codes of the GELU outputs (nearly all above
   * −0.17) and stray further from fp32 (docs/BENCHMARKS.md, notes).
   */
  private String quantizedMatMul(String x, String prefix, Tensor weight, boolean rank3) {
    int n = (int) weight.shape()[0];
    int k = (int) weight.shape()[1];
    QuantizedWeight w = quantize(weight);
    byte[] q = w.values();
    float[] scale = w.scales();
    float[] colSum = w.colSums();
    String wq = g.initializer(prefix + ".weight.int8", new Tensor(DType.I8, new long[] {k, n},
        q));
    String ws = g.initializer(prefix + ".weight.scale", Tensor.ofFloats(new long[] {n}, scale));
    String wsum = g.initializer(prefix + ".weight.colsum", Tensor.ofFloats(new long[] {n},
        colSum));
    String rows = rank3 ? g.op("Reshape", prefix + "/Rows", List.of(x, constL("rows_" + k, false,
        -1, k))) : x;
    String col = constL("axes_1", false, 1);
    String hi = g.op("Max", prefix + "/RowMax", List.of(g.op("ReduceMax", prefix + "/ReduceMax",
        List.of(rows), Attr.ints("axes", 1), Attr.i("keepdims", 0)), "zero_f32"));
    String lo = g.op("Min", prefix + "/RowMin", List.of(g.op("ReduceMin", prefix + "/ReduceMin",
        List.of(rows), Attr.ints("axes", 1), Attr.i("keepdims", 0)), "zero_f32"));
    String xs = g.op("Max", prefix + "/RowScale", List.of(g.op("Div", prefix + "/RangeDiv",
        List.of(g.op("Sub", prefix + "/Range", List.of(hi, lo)), "u8_max_f32")), "tiny_f32"));
    String zf = g.op("Round", prefix + "/ZeroRound", List.of(g.op("Div", prefix + "/ZeroDiv",
        List.of(g.op("Neg", prefix + "/NegMin", List.of(lo)), xs))));
    String zp = g.op("Cast", prefix + "/ZeroPoints", List.of(zf), Attr.i("to", 2));
    String xq = g.op("QuantizeLinear", prefix + "/Quantize", List.of(rows, xs, zp),
        Attr.i("axis", 0));
    String y = g.microsoftOp("MatMulIntegerToFloat", prefix + "/MatMulIntegerToFloat",
        List.of(xq, wq, "one_f32", ws, "u8_128"));
    String shift = g.op("Unsqueeze", prefix + "/ShiftCol", List.of(g.op("Sub",
        prefix + "/Shift", List.of("u8_128_f32", zf)), col));
    y = g.op("Add", prefix + "/ZeroCorrect", List.of(y, g.op("Mul", prefix + "/ZeroColSum",
        List.of(shift, wsum))));
    y = g.op("Mul", prefix + "/RowRescale", List.of(y, g.op("Unsqueeze", prefix + "/RowScaleCol",
        List.of(xs, col))));
    return rank3 ? g.op("Reshape", prefix + "/Unrows", List.of(y, outShape(n))) : y;
  }

  /**
   * The largest weight code. On x86 CPUs without VNNI, ONNX Runtime multiplies uint8 activations
   * by int8 weights with an instruction (vpmaddubsw) that adds each pair of neighbouring products
   * in 16 bits and saturates there: with codes up to ±127, 255·127·2 = 64,770 overflows
   * 32,767. Codes up to ±63 (7-bit weights, ONNX Runtime's {@code reduce_range}) keep every pair
   * within 255·63·2 = 32,130, so the product is exact on every x86 CPU, VNNI or not.
   */
  public static final int WEIGHT_MAX = 63;

  /**
   * A weight matrix quantized for {@code MatMulIntegerToFloat}: codes laid out [K, N], a scale per
   * output column, and the column sums of the codes times their scale.
   */
  public record QuantizedWeight(int k, int n, byte[] values, float[] scales, float[] colSums) {}

  /** Quantizes a Linear weight ([N, K], as BERT stores it) symmetric per output column. */
  public static QuantizedWeight quantize(Tensor weight) {
    return quantize(weight, WEIGHT_MAX);
  }

  /** As {@link #quantize(Tensor)} with another largest code (127: full int8, for comparison). */
  public static QuantizedWeight quantize(Tensor weight, int max) {
    int n = (int) weight.shape()[0];
    int k = (int) weight.shape()[1];
    float[] a = weight.toFloats();
    float[] scale = new float[n];
    for (int r = 0; r < n; r++) {
      float m = 0f;
      for (int c = 0; c < k; c++) {
        m = Math.max(m, Math.abs(a[r * k + c]));
      }
      scale[r] = m == 0f ? 1f : m / max;
    }
    byte[] q = new byte[k * n]; // [K, N]
    float[] colSum = new float[n]; // colsum(Wq) · scale, per output column
    for (int r = 0; r < n; r++) {
      int sum = 0;
      for (int c = 0; c < k; c++) {
        int v = Math.max(-max, Math.min(max, Math.round(a[r * k + c] / scale[r])));
        q[c * n + r] = (byte) v;
        sum += v;
      }
      colSum[r] = sum * scale[r];
    }
    return new QuantizedWeight(k, n, q, scale, colSum);
  }

  /** [batch, sequence, n], built once per n from the input's shape. */
  private String outShape(int n) {
    String name = "shape_bsn_" + n;
    if (added.add(name)) {
      g.node("Concat", name, List.of(batchSeq, constL("n_" + n, false, n)), List.of(name),
          Attr.i("axis", 0));
    }
    return name;
  }

  private String layerNorm(String x, String prefix) {
    return g.op("LayerNormalization", prefix, List.of(x, init(prefix + ".weight"),
        init(prefix + ".bias")), Attr.i("axis", -1),
        Attr.f("epsilon", (float) ckpt.config().layerNormEps()));
  }

  private byte[] build() {
    BertConfig c = ckpt.config();
    g.input("input_ids", DType.I64, "batch", "sequence");
    g.input("attention_mask", DType.I64, "batch", "sequence");
    g.input("token_type_ids", DType.I64, "batch", "sequence");

    String shape = g.op("Shape", "seq/Shape", List.of("input_ids"));
    batchSeq = shape;
    String seqLen = g.op("Gather", "seq/Gather", List.of(shape, constL("one_scalar_i64", true,
        1)), Attr.i("axis", 0));
    String positions = g.op("Range", "positions", List.of(constL("zero_scalar_i64", true, 0),
        seqLen, "one_scalar_i64"));
    String x = g.op("Gather", "embeddings/word", List.of(init("embeddings.word_embeddings.weight"),
        "input_ids"));
    String types = g.op("Gather", "embeddings/type",
        List.of(init("embeddings.token_type_embeddings.weight"), "token_type_ids"));
    String pos = g.op("Gather", "embeddings/position",
        List.of(init("embeddings.position_embeddings.weight"), positions));
    x = g.op("Add", "embeddings/add_type", List.of(x, types));
    x = g.op("Add", "embeddings/add_position", List.of(x, pos));
    x = layerNorm(x, "embeddings.LayerNorm");

    String maskF = g.op("Cast", "mask/Cast", List.of("attention_mask"), Attr.i("to", 1));
    String inv = g.op("Sub", "mask/Sub", List.of(constF("one_f32", 1f), maskF));
    String bias = g.op("Mul", "mask/Mul", List.of(inv, constF("neg_max_f32", -Float.MAX_VALUE)));
    bias = g.op("Unsqueeze", "mask/Unsqueeze", List.of(bias, constL("axes_1_2", false, 1, 2)));

    int heads = c.numHeads();
    int hd = c.headSize();
    String headShape = constL("head_shape", false, 0, 0, heads, hd);
    String mergedShape = constL("merged_shape", false, 0, 0, c.hiddenSize());
    String scale = constF("attention_scale", (float) (1.0 / Math.sqrt(hd)));
    String half = constF("half_f32", 0.5f);
    if (int8) {
      constF("zero_f32", 0f);
      constF("u8_max_f32", 255f);
      constF("u8_128_f32", 128f);
      constF("tiny_f32", Float.MIN_NORMAL);
      g.initializer("u8_128", new Tensor(DType.U8, new long[0], new byte[] {(byte) 128}));
    }
    String sqrt2 = constF("sqrt2_f32", (float) Math.sqrt(2.0));
    for (int i = 0; i < c.numLayers(); i++) {
      String l = "encoder.layer." + i + ".";
      String q = g.op("Mul", l + "q/scale", List.of(linear(x, l + "attention.self.query"),
          scale));
      q = g.op("Reshape", l + "q/Reshape", List.of(q, headShape));
      q = g.op("Transpose", l + "q/Transpose", List.of(q), Attr.ints("perm", 0, 2, 1, 3));
      String k = g.op("Reshape", l + "k/Reshape", List.of(linear(x, l + "attention.self.key"),
          headShape));
      k = g.op("Transpose", l + "k/Transpose", List.of(k), Attr.ints("perm", 0, 2, 3, 1));
      String v = g.op("Reshape", l + "v/Reshape", List.of(linear(x, l + "attention.self.value"),
          headShape));
      v = g.op("Transpose", l + "v/Transpose", List.of(v), Attr.ints("perm", 0, 2, 1, 3));
      String scores = g.op("MatMul", l + "scores", List.of(q, k));
      scores = g.op("Add", l + "scores/mask", List.of(scores, bias));
      String probs = g.op("Softmax", l + "probs", List.of(scores), Attr.i("axis", -1));
      String ctx = g.op("MatMul", l + "context", List.of(probs, v));
      ctx = g.op("Transpose", l + "context/Transpose", List.of(ctx),
          Attr.ints("perm", 0, 2, 1, 3));
      ctx = g.op("Reshape", l + "context/Reshape", List.of(ctx, mergedShape));
      String att = linear(ctx, l + "attention.output.dense");
      x = layerNorm(g.op("Add", l + "attention/residual", List.of(att, x)),
          l + "attention.output.LayerNorm");
      String ff = linear(x, l + "intermediate.dense");
      String erf = g.op("Erf", l + "gelu/Erf", List.of(g.op("Div", l + "gelu/Div",
          List.of(ff, sqrt2))));
      String gelu = g.op("Mul", l + "gelu/Mul", List.of(g.op("Mul", l + "gelu/half",
          List.of(ff, half)), g.op("Add", l + "gelu/Add", List.of(erf, "one_f32"))));
      String out = linear(gelu, l + "output.dense");
      x = layerNorm(g.op("Add", l + "output/residual", List.of(out, x)), l + "output.LayerNorm");
    }
    String cls = g.op("Gather", "head/cls", List.of(x, "zero_scalar_i64"), Attr.i("axis", 1));
    // BertForSequenceClassification's head: classifier(tanh(pooler.dense([CLS])))
    String pooled = g.op("Tanh", "pooler/Tanh", List.of(linear(cls, "pooler.dense")));
    Tensor cw = w("classifier.weight").transpose2d();
    String logits = g.op("MatMul", "head/MatMul", List.of(pooled, g.initializer(
        "classifier.weight.T", cw)));
    g.node("Add", "head/Add", List.of(logits, init("classifier.bias")), List.of("logits"));
    g.output("logits", DType.F32, "batch", 1);
    return g.toByteArray("disranker");
  }
}
