package org.disranker.model.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.model.io.DType;
import org.disranker.model.io.Tensor;

/**
 * The parts of an ONNX model this project reads: the graph's nodes (op type, inputs, outputs),
 * its initializers (the weights) and the names of its inputs and outputs. Field numbers follow
 * onnx.proto (ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11, output = 12;
 * TensorProto.dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9).
 */
public record OnnxGraph(
    List<Node> nodes, Map<String, Tensor> initializers, List<String> inputs, List<String> outputs) {

  /** One operator of the graph. */
  public record Node(String opType, String name, List<String> inputs, List<String> outputs) {}

  public static OnnxGraph read(Path file) throws IOException {
    return parse(ByteBuffer.wrap(Files.readAllBytes(file)));
  }

  public static OnnxGraph read(InputStream in) throws IOException {
    return parse(ByteBuffer.wrap(in.readAllBytes()));
  }

  public static OnnxGraph parse(ByteBuffer model) {
    ProtoReader m = new ProtoReader(model);
    while (m.next()) {
      if (m.field() == 7 && m.wireType() == 2) {
        return parseGraph(m.readMessage());
      }
      m.skip();
    }
    throw new IllegalArgumentException("not an ONNX model: no graph");
  }

  private static OnnxGraph parseGraph(ProtoReader g) {
    List<Node> nodes = new ArrayList<>();
    Map<String, Tensor> inits = new LinkedHashMap<>();
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    while (g.next()) {
      switch (g.field()) {
        case 1 -> nodes.add(parseNode(g.readMessage()));
        case 5 -> {
          var named = parseTensor(g.readMessage());
          inits.put(named.getKey(), named.getValue());
        }
        case 11 -> inputs.add(valueInfoName(g.readMessage()));
        case 12 -> outputs.add(valueInfoName(g.readMessage()));
        default -> g.skip();
      }
    }
    // Graph inputs list initializers too in older exports; keep only the real inputs.
    inputs.removeIf(inits::containsKey);
    return new OnnxGraph(nodes, inits, inputs, outputs);
  }

  private static Node parseNode(ProtoReader n) {
    List<String> in = new ArrayList<>();
    List<String> out = new ArrayList<>();
    String name = "";
    String op = "";
    while (n.next()) {
      switch (n.field()) {
        case 1 -> in.add(n.readString());
        case 2 -> out.add(n.readString());
        case 3 -> name = n.readString();
        case 4 -> op = n.readString();
        default -> n.skip();
      }
    }
    return new Node(op, name, in, out);
  }

  private static String valueInfoName(ProtoReader v) {
    while (v.next()) {
      if (v.field() == 1) {
        return v.readString();
      }
      v.skip();
    }
    return "";
  }

  static DType dtypeOf(int onnxType) {
    return switch (onnxType) {
      case 1 -> DType.F32;
      case 2 -> DType.U8;
      case 3 -> DType.I8;
      case 6 -> DType.I32;
      case 7 -> DType.I64;
      case 10 -> DType.F16;
      case 16 -> DType.BF16;
      default -> throw new IllegalArgumentException("unsupported ONNX tensor type " + onnxType);
    };
  }

  static int onnxTypeOf(DType d) {
    return switch (d) {
      case F32 -> 1;
      case U8 -> 2;
      case I8 -> 3;
      case I32 -> 6;
      case I64 -> 7;
      case F16 -> 10;
      case BF16 -> 16;
    };
  }

  private static Map.Entry<String, Tensor> parseTensor(ProtoReader t) {
    List<Long> dims = new ArrayList<>();
    int type = 0;
    String name = "";
    byte[] raw = null;
    ByteBuffer floats = ByteBuffer.allocate(0);
    List<Long> int64s = new ArrayList<>();
    while (t.next()) {
      switch (t.field()) {
        case 1 -> {
          if (t.wireType() == 2) {
            ProtoReader p = t.readMessage();
            while (p.hasRemaining()) {
              dims.add(p.readVarint());
            }
          } else {
            dims.add(t.readVarint());
          }
        }
        case 2 -> type = (int) t.readVarint();
        case 4 -> {
          if (t.wireType() == 2) {
            floats = t.readBytes();
          } else {
            ByteBuffer one = ByteBuffer.allocate(floats.remaining() + 4)
                .order(ByteOrder.LITTLE_ENDIAN);
            one.put(floats.duplicate()).putFloat(t.readFloat()).flip();
            floats = one;
          }
        }
        case 7 -> {
          if (t.wireType() == 2) {
            ProtoReader p = t.readMessage();
            while (p.hasRemaining()) {
              int64s.add(p.readVarint());
            }
          } else {
            int64s.add(t.readVarint());
          }
        }
        case 8 -> name = t.readString();
        case 9 -> {
          ByteBuffer b = t.readBytes();
          raw = new byte[b.remaining()];
          b.get(raw);
        }
        default -> t.skip();
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    DType d = dtypeOf(type);
    if (raw == null) {
      if (d == DType.F32) {
        raw = new byte[floats.remaining()];
        floats.duplicate().get(raw);
      } else if (d == DType.I64) {
        ByteBuffer b = ByteBuffer.allocate(int64s.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        int64s.forEach(b::putLong);
        raw = b.array();
      } else {
        throw new IllegalArgumentException("initializer " + name + ": only raw_data is supported"
            + " for " + d);
      }
    }
    return Map.entry(name, new Tensor(d, shape, raw));
  }
}
