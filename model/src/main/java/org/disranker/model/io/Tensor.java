package org.disranker.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A stored tensor: element type, shape and little-endian bytes, independent of any ML engine.
 * Conversions to and from float arrays handle F32, F16 and BF16.
 */
public record Tensor(DType dtype, long[] shape, byte[] data) {
  public Tensor {
    long n = numel(shape);
    if (n * dtype.bytes != data.length) {
      throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and "
          + dtype + " needs " + n * dtype.bytes + " bytes, got " + data.length);
    }
  }

  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  public long numel() {
    return numel(shape);
  }

  /** An F32 tensor from floats. */
  public static Tensor ofFloats(long[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new Tensor(DType.F32, shape.clone(), b.array());
  }

  /** The values as floats (F16 and BF16 widened exactly). */
  public float[] toFloats() {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) numel();
    float[] out = new float[n];
    switch (dtype) {
      case F32 -> b.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Half.toFloat(b.getShort(2 * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xFFFF) << 16);
        }
      }
      default -> throw new IllegalStateException("not a floating-point tensor: " + dtype);
    }
    return out;
  }

  /** Converts to another floating-point type; BF16 and F16 round to nearest even. */
  public Tensor to(DType target) {
    if (target == dtype) {
      return this;
    }
    float[] f = toFloats();
    if (target == DType.F32) {
      return ofFloats(shape, f);
    }
    ByteBuffer b = ByteBuffer.allocate(f.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : f) {
      if (target == DType.F16) {
        b.putShort(Half.fromFloat(v));
      } else if (target == DType.BF16) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
          b.putShort((short) ((bits >>> 16) | 0x40));
        } else {
          int rounding = 0x7FFF + ((bits >>> 16) & 1);
          b.putShort((short) ((bits + rounding) >>> 16));
        }
      } else {
        throw new IllegalArgumentException("cannot convert floats to " + target);
      }
    }
    return new Tensor(target, shape.clone(), b.array());
  }

  /** The transpose of a matrix, as F32. */
  public Tensor transpose2d() {
    if (shape.length != 2) {
      throw new IllegalArgumentException("transpose needs a matrix, got " + this);
    }
    int r = (int) shape[0];
    int c = (int) shape[1];
    float[] a = toFloats();
    float[] b = new float[a.length];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        b[j * r + i] = a[i * c + j];
      }
    }
    return ofFloats(new long[] {c, r}, b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t && t.dtype == dtype && Arrays.equals(t.shape, shape)
        && Arrays.equals(t.data, data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
  }
}
