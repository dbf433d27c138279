package org.disranker.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.disranker.core.io.InputFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  @Test
  void roundTripIsBitExactForEveryFloatType() {
    float[] v = {1.5f, -0.0f, 3.1415927f, 65504f, 1e-8f, Float.NaN};
    Tensor f32 = Tensor.ofFloats(new long[] {2, 3}, v);
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put("a.f32", f32);
    in.put("b.bf16", f32.to(DType.BF16));
    in.put("c.f16", f32.to(DType.F16));
    in.put("d.scalar", Tensor.ofFloats(new long[0], new float[] {7f}));
    Path f = dir.resolve("m.safetensors");
    Safetensors.write(f, in, Map.of("format", "pt"));
    Map<String, Tensor> out = Safetensors.read(f);
    assertEquals(in, out);
    assertEquals(java.util.List.copyOf(in.keySet()), java.util.List.copyOf(out.keySet()));
  }

  @Test
  void halfPrecisionConversionsRoundToNearestEven() {
    // 1 + 2^-11 lies halfway between two halves: ties to the even one (1.0)
    assertEquals(1.0f, Half.toFloat(Half.fromFloat(1f + 0x1p-11f)));
    assertEquals(1f + 0x1p-10f, Half.toFloat(Half.fromFloat(1f + 0x1p-10f)));
    assertEquals(65504f, Half.toFloat(Half.fromFloat(65504f)));
    assertEquals(Float.POSITIVE_INFINITY, Half.toFloat(Half.fromFloat(1e6f)));
    assertEquals(0x1p-24f, Half.toFloat(Half.fromFloat(0x1p-24f))); // smallest subnormal
    assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN))));
    // BF16 keeps the float exponent: 1e-8 survives, with 8 bits of mantissa
    float bf = Tensor.ofFloats(new long[] {1}, new float[] {1e-8f}).to(DType.BF16).toFloats()[0];
    assertEquals(1e-8f, bf, 1e-10f);
  }

  @Test
  void readsTheHeaderLayoutOfTheReferenceFormat() throws IOException {
    // Written by hand: header {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}
    String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).putFloat(2.5f).putFloat(-1f);
    Path f = dir.resolve("x.safetensors");
    Files.write(f, b.array());
    assertArrayEquals(new float[] {2.5f, -1f}, Safetensors.read(f).get("x").toFloats());
  }

  @Test
  void corruptFilesAreNamed() throws IOException {
    Path f = dir.resolve("bad.safetensors");
    Files.write(f, new byte[] {1, 2, 3});
    InputFormatException e = assertThrows(InputFormatException.class, () -> Safetensors.read(f));
    assertTrue(e.getMessage().startsWith(f.toString()));
    String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Files.write(f, b.array());
    assertTrue(assertThrows(InputFormatException.class, () -> Safetensors.read(f)).getMessage()
        .contains("tensor x: bad data_offsets"));
  }

  @Test
  void shardedFolderIsReadThroughItsIndex() throws IOException {
    Safetensors.write(dir.resolve("a.safetensors"), Map.of("w1", Tensor.ofFloats(new long[] {1},
        new float[] {1})), Map.of());
    Safetensors.write(dir.resolve("b.safetensors"), Map.of("w2", Tensor.ofFloats(new long[] {1},
        new float[] {2})), Map.of());
    Files.writeString(dir.resolve(Safetensors.INDEX),
        "{\"weight_map\": {\"w1\": \"a.safetensors\", \"w2\": \"b.safetensors\"}}");
    Map<String, Tensor> all = Safetensors.readFolder(dir);
    assertEquals(2f, all.get("w2").toFloats()[0]);
    assertEquals(2, all.size());
  }
}
