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
 * <p>With {@code int8}, every MatMul against a weight becomes an integer product: activations
 * quantized to uint8 with a scale and zero point per row (one token), weights stored int8 with a
 * symmetric scale per output column, {@code MatMulInteger}, the zero point taken out in int32,
 * then rescaled to float. Per row rather than ONNX Runtime's per-tensor
 * {@code DynamicQuantizeLinear}: a pair's score then does not depend on the other pairs of its
 * batch (nor on their padding), and a token with small activations keeps its resolution.
 * Attention products and everything else stay float.
 */
public final class BertOnnxExporter {
  public static final int OPSET = 17;

  private final BertCheckpoint ckpt;
  private final boolean int8;
  private final OnnxBuilder g = new OnnxBuilder(OPSET);

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

  private String constL(String name, boolean scalar, long... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) {
      b.putLong(x);
    }
    long[] shape = scalar ? new long[0] : new long[] {v.length};
    return g.initializer(name, new Tensor(DType.I64, shape, b.array()));
  }

  /** x · W + b for a Hugging Face linear layer (weight [out, in]). */
  private String linear(String x, String prefix) {
    Tensor wt = w(prefix + ".weight").transpose2d(); // [in, out]
    String y;
    if (int8) {
      y = quantizedMatMul(x, prefix, wt);
    } else {
      String wn = g.initializer(prefix + ".weight.T", wt);
      y = g.op("MatMul", prefix + "/MatMul", List.of(x, wn));
    }
    return g.op("Add", prefix + "/Add", List.of(y, init(prefix + ".bias")));
  }

  private String quantizedMatMul(String x, String prefix, Tensor wt) {
    int in = (int) wt.shape()[0];
    int out = (int) wt.shape()[1];
    float[] a = wt.toFloats();
    float[] scale = new float[out];
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < out; j++) {
        scale[j] = Math.max(scale[j], Math.abs(a[i * out + j]));
      }
    }
    for (int j = 0; j < out; j++) {
      scale[j] = scale[j] == 0 ? 1f : scale[j] / 127f;
    }
    byte[] q = new byte[a.length];
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < out; j++) {
        q[i * out + j] = (byte) Math.max(-127, Math.min(127, Math.round(a[i * out + j]
            / scale[j])));
      }
    }
    int[] colSum = new int[out];
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < out; j++) {
        colSum[j] += q[i * out + j];
      }
    }
    ByteBuffer cs = ByteBuffer.allocate(out * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : colSum) {
      cs.putInt(v);
    }
    String wq = g.initializer(prefix + ".weight.int8", new Tensor(DType.I8, new long[] {in, out},
        q));
    String ws = g.initializer(prefix + ".weight.scale", Tensor.ofFloats(new long[] {out}, scale));
    String wsum = g.initializer(prefix + ".weight.colsum", new Tensor(DType.I32,
        new long[] {out}, cs.array()));
    // Per row (one token's activations): range widened to hold 0, uint8 scale and zero point
    String hi = g.op("Max", prefix + "/RowMax", List.of(g.op("ReduceMax", prefix + "/ReduceMax",
        List.of(x), Attr.ints("axes", -1), Attr.i("keepdims", 1)), "zero_f32"));
    String lo = g.op("Min", prefix + "/RowMin", List.of(g.op("ReduceMin", prefix + "/ReduceMin",
        List.of(x), Attr.ints("axes", -1), Attr.i("keepdims", 1)), "zero_f32"));
    String xs = g.op("Max", prefix + "/RowScale", List.of(g.op("Div", prefix + "/RangeDiv",
        List.of(g.op("Sub", prefix + "/Range", List.of(hi, lo)), "u8_max_f32")), "tiny_f32"));
    String zf = g.op("Round", prefix + "/ZeroRound", List.of(g.op("Div", prefix + "/ZeroDiv",
        List.of(g.op("Neg", prefix + "/NegMin", List.of(lo)), xs))));
    String xq = g.op("Cast", prefix + "/CastU8", List.of(g.op("Clip", prefix + "/Clip",
        List.of(g.op("Add", prefix + "/AddZero", List.of(g.op("Round", prefix + "/Round",
            List.of(g.op("Div", prefix + "/Quantize", List.of(x, xs)))), zf)),
        "zero_f32", "u8_max_f32"))), Attr.i("to", 2));
    // x ~ xs (xq - z), so x W ~ xs ws (xq Wq - z colsum(Wq)), the correction done in int32
    String acc = g.op("MatMulInteger", prefix + "/MatMulInteger", List.of(xq, wq));
    String zi = g.op("Cast", prefix + "/CastZero", List.of(zf), Attr.i("to", 6));
    String exact = g.op("Sub", prefix + "/ZeroCorrect", List.of(acc, g.op("Mul",
        prefix + "/ZeroColSum", List.of(zi, wsum))));
    String f = g.op("Cast", prefix + "/Cast", List.of(exact), Attr.i("to", 1));
    return g.op("Mul", prefix + "/Rescale", List.of(f, g.op("Mul", prefix + "/Scale",
        List.of(xs, ws))));
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
      constF("tiny_f32", Float.MIN_NORMAL);
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
