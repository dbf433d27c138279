package org.disranker.model.io;

/** Element types of stored tensors, with their safetensors names and sizes. */
public enum DType {
  F32("F32", 4),
  F16("F16", 2),
  BF16("BF16", 2),
  I64("I64", 8),
  I32("I32", 4),
  I8("I8", 1),
  U8("U8", 1);

  public final String safetensorsName;
  public final int bytes;

  DType(String safetensorsName, int bytes) {
    this.safetensorsName = safetensorsName;
    this.bytes = bytes;
  }

  public static DType ofSafetensors(String name) {
    for (DType d : values()) {
      if (d.safetensorsName.equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException("unsupported safetensors dtype '" + name + "'");
  }
}
