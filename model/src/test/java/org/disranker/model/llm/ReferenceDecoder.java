package org.disranker.model.llm;

import java.util.Map;
import org.disranker.model.io.Tensor;

/**
 * An independent float64 implementation of the Llama forward pass, written from the published
 * architecture with plain loops, to check the DJL model against: RMSNorm, rotary embedding (rotate
 * half), grouped-query attention with a causal mask, SwiGLU. One unpadded sequence at a time.
 */
final class ReferenceDecoder {
  private final LlamaConfig c;
  private final Map<String, Tensor> w;

  ReferenceDecoder(LlamaCheckpoint ckpt) {
    this.c = ckpt.config();
    this.w = ckpt.weights();
  }

  double[] f(String name) {
    float[] a = w.get(name).toFloats();
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  /** y = W x for W [out, in] stored row-major. */
  static double[] matVec(double[] wt, int out, int in, double[] x) {
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = 0;
      for (int i = 0; i < in; i++) {
        s += wt[o * in + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  double[] rmsNorm(double[] x, String weight) {
    double[] g = f(weight);
    double ms = 0;
    for (double v : x) {
      ms += v * v;
    }
    ms /= x.length;
    double r = 1.0 / Math.sqrt(ms + c.rmsNormEps());
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * r * g[i];
    }
    return y;
  }

  /** Rotates one head vector for position pos. */
  double[] rope(double[] v, int pos) {
    int d = v.length;
    double[] out = new double[d];
    for (int i = 0; i < d / 2; i++) {
      double theta = pos / Math.pow(c.ropeTheta(), 2.0 * i / d);
      double cos = Math.cos(theta);
      double sin = Math.sin(theta);
      out[i] = v[i] * cos - v[i + d / 2] * sin;
      out[i + d / 2] = v[i + d / 2] * cos + v[i] * sin;
    }
    return out;
  }

  /** Final hidden states [length][hidden] of one sequence. */
  double[][] hidden(long[] ids) {
    int t = ids.length;
    int h = c.hiddenSize();
    int hd = c.headDim();
    int nh = c.numHeads();
    int nkv = c.numKvHeads();
    double[] emb = f("model.embed_tokens.weight");
    double[][] x = new double[t][h];
    for (int p = 0; p < t; p++) {
      System.arraycopy(emb, (int) ids[p] * h, x[p], 0, h);
    }
    for (int l = 0; l < c.numLayers(); l++) {
      String pre = "model.layers." + l + ".";
      double[][] q = new double[t][];
      double[][] k = new double[t][];
      double[][] v = new double[t][];
      for (int p = 0; p < t; p++) {
        double[] n = rmsNorm(x[p], pre + "input_layernorm.weight");
        q[p] = matVec(f(pre + "self_attn.q_proj.weight"), nh * hd, h, n);
        k[p] = matVec(f(pre + "self_attn.k_proj.weight"), nkv * hd, h, n);
        v[p] = matVec(f(pre + "self_attn.v_proj.weight"), nkv * hd, h, n);
        if (c.attentionBias()) {
          add(q[p], f(pre + "self_attn.q_proj.bias"));
          add(k[p], f(pre + "self_attn.k_proj.bias"));
          add(v[p], f(pre + "self_attn.v_proj.bias"));
        }
      }
      double[][] ctx = new double[t][nh * hd];
      for (int head = 0; head < nh; head++) {
        int kvh = head / (nh / nkv);
        for (int i = 0; i < t; i++) {
          double[] qi = rope(slice(q[i], head * hd, hd), i);
          double[] scores = new double[i + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            double[] kj = rope(slice(k[j], kvh * hd, hd), j);
            double s = 0;
            for (int d = 0; d < hd; d++) {
              s += qi[d] * kj[d];
            }
            scores[j] = s / Math.sqrt(hd);
            max = Math.max(max, scores[j]);
          }
          double z = 0;
          for (int j = 0; j <= i; j++) {
            scores[j] = Math.exp(scores[j] - max);
            z += scores[j];
          }
          for (int j = 0; j <= i; j++) {
            for (int d = 0; d < hd; d++) {
              ctx[i][head * hd + d] += scores[j] / z * v[j][kvh * hd + d];
            }
          }
        }
      }
      for (int p = 0; p < t; p++) {
        add(x[p], matVec(f(pre + "self_attn.o_proj.weight"), h, nh * hd, ctx[p]));
        double[] n = rmsNorm(x[p], pre + "post_attention_layernorm.weight");
        int fsz = c.intermediateSize();
        double[] gate = matVec(f(pre + "mlp.gate_proj.weight"), fsz, h, n);
        double[] up = matVec(f(pre + "mlp.up_proj.weight"), fsz, h, n);
        double[] act = new double[fsz];
        for (int i = 0; i < fsz; i++) {
          act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        }
        add(x[p], matVec(f(pre + "mlp.down_proj.weight"), h, fsz, act));
      }
    }
    double[][] out = new double[t][];
    for (int p = 0; p < t; p++) {
      out[p] = rmsNorm(x[p], "model.norm.weight");
    }
    return out;
  }

  static void add(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }

  static double[] slice(double[] a, int from, int n) {
    double[] s = new double[n];
    System.arraycopy(a, from, s, 0, n);
    return s;
  }
}
