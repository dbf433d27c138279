package org.disranker.model.onnx;

import java.util.ArrayList;
import java.util.List;
import org.disranker.model.io.DType;
import org.disranker.model.io.Tensor;

/**
 * Builds an ONNX model (graph nodes, initializers, typed inputs and outputs) and serializes it
 * with the field numbers of onnx.proto. Only what this project's exports need is here.
 */
public final class OnnxBuilder {
  static final int IR_VERSION = 8;

  private final List<ProtoWriter> nodes = new ArrayList<>();
  private final List<ProtoWriter> initializers = new ArrayList<>();
  private final List<ProtoWriter> inputs = new ArrayList<>();
  private final List<ProtoWriter> outputs = new ArrayList<>();
  private final int opset;
  private boolean microsoftOps;
  private int counter;

  public OnnxBuilder(int opset) {
    this.opset = opset;
  }

  /** A fresh value name with a readable prefix. */
  public String fresh(String prefix) {
    return prefix + "_" + (counter++);
  }

  /** Adds a node with one output named after the prefix; returns that output name. */
  public String op(String opType, String prefix, List<String> in, Attr... attrs) {
    String out = fresh(prefix);
    node(opType, prefix, in, List.of(out), attrs);
    return out;
  }

  /**
   * Adds a node of ONNX Runtime's contrib domain ({@code com.microsoft}, opset 1) with one
   * output; returns that output name.
   */
  public String microsoftOp(String opType, String prefix, List<String> in, Attr... attrs) {
    microsoftOps = true;
    String out = fresh(prefix);
    newNode(opType, prefix, in, List.of(out), attrs).string(7, "com.microsoft");
    return out;
  }

  /** Adds a node with explicit outputs. */
  public void node(String opType, String name, List<String> in, List<String> out, Attr... attrs) {
    newNode(opType, name, in, out, attrs);
  }

  private ProtoWriter newNode(String opType, String name, List<String> in, List<String> out,
      Attr... attrs) {
    ProtoWriter n = new ProtoWriter();
    for (String i : in) {
      n.string(1, i);
    }
    for (String o : out) {
      n.string(2, o);
    }
    n.string(3, name + "#" + nodes.size());
    n.string(4, opType);
    for (Attr a : attrs) {
      n.message(5, a.proto);
    }
    nodes.add(n);
    return n;
  }

  /** Adds a weight; returns its name. */
  public String initializer(String name, Tensor t) {
    initializers.add(tensor(name, t));
    return name;
  }

  /** Adds a graph input or output with named (dynamic) or fixed dimensions. */
  public void input(String name, DType type, Object... dims) {
    inputs.add(valueInfo(name, type, dims));
  }

  public void output(String name, DType type, Object... dims) {
    outputs.add(valueInfo(name, type, dims));
  }

  public byte[] toByteArray(String producer) {
    ProtoWriter g = new ProtoWriter();
    nodes.forEach(n -> g.message(1, n));
    g.string(2, "graph");
    initializers.forEach(t -> g.message(5, t));
    inputs.forEach(v -> g.message(11, v));
    outputs.forEach(v -> g.message(12, v));
    ProtoWriter m = new ProtoWriter();
    m.varint(1, IR_VERSION);
    m.string(2, producer);
    m.message(7, g);
    m.message(8, new ProtoWriter().string(1, "").varint(2, opset));
    if (microsoftOps) {
      m.message(8, new ProtoWriter().string(1, "com.microsoft").varint(2, 1));
    }
    return m.toByteArray();
  }

  static ProtoWriter tensor(String name, Tensor t) {
    ProtoWriter w = new ProtoWriter();
    for (long d : t.shape()) {
      w.varint(1, d);
    }
    w.varint(2, OnnxGraph.onnxTypeOf(t.dtype()));
    w.string(8, name);
    w.bytes(9, t.data());
    return w;
  }

  static ProtoWriter valueInfo(String name, DType type, Object... dims) {
    ProtoWriter shape = new ProtoWriter();
    for (Object d : dims) {
      ProtoWriter dim = new ProtoWriter();
      if (d instanceof String s) {
        dim.string(2, s);
      } else {
        dim.varint(1, ((Number) d).longValue());
      }
      shape.message(1, dim);
    }
    ProtoWriter tensorType = new ProtoWriter().varint(1, OnnxGraph.onnxTypeOf(type))
        .message(2, shape);
    ProtoWriter typeProto = new ProtoWriter().message(1, tensorType);
    return new ProtoWriter().string(1, name).message(2, typeProto);
  }

  /** A node attribute. */
  public static final class Attr {
    final ProtoWriter proto;

    private Attr(ProtoWriter proto) {
      this.proto = proto;
    }

    public static Attr i(String name, long v) {
      return new Attr(new ProtoWriter().string(1, name).varint(3, v).varint(20, 2));
    }

    public static Attr f(String name, float v) {
      return new Attr(new ProtoWriter().string(1, name).float32(2, v).varint(20, 1));
    }

    public static Attr ints(String name, long... v) {
      ProtoWriter w = new ProtoWriter().string(1, name);
      for (long x : v) {
        w.varint(8, x);
      }
      return new Attr(w.varint(20, 7));
    }
  }
}
