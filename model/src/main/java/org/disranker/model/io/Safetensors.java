package org.disranker.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.InputFormatException;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to {@code dtype}, {@code shape} and {@code data_offsets} [begin, end)
 * into the byte buffer that follows, and an optional {@code __metadata__} of strings. Sharded
 * checkpoints add {@code model.safetensors.index.json} whose {@code weight_map} names the shard of
 * each tensor.
 */
public final class Safetensors {
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String SINGLE = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";

  private Safetensors() {}

  /** Reads every tensor of one file, in header order. */
  public static Map<String, Tensor> read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw new InputFormatException(file, "too short for a safetensors file");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(lenBuf, 0);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen <= 0 || headerLen > size - 8 || headerLen > 100_000_000) {
        throw new InputFormatException(file, "bad safetensors header length " + headerLen);
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      ch.read(header, 8);
      JsonNode h;
      try {
        h = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new InputFormatException(file, "bad safetensors header JSON: " + e.getMessage());
      }
      long dataStart = 8 + headerLen;
      Map<String, Tensor> out = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = h.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode t = e.getValue();
        DType dtype;
        try {
          dtype = DType.ofSafetensors(t.path("dtype").asText());
        } catch (IllegalArgumentException ex) {
          throw new InputFormatException(file, "tensor " + e.getKey() + ": " + ex.getMessage());
        }
        long[] shape = new long[t.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = t.path("shape").get(i).asLong();
        }
        long begin = t.path("data_offsets").path(0).asLong(-1);
        long end = t.path("data_offsets").path(1).asLong(-1);
        if (begin < 0 || end < begin || dataStart + end > size
            || end - begin != Tensor.numel(shape) * dtype.bytes) {
          throw new InputFormatException(file, "tensor " + e.getKey() + ": bad data_offsets");
        }
        ByteBuffer data = ByteBuffer.allocate((int) (end - begin));
        ch.read(data, dataStart + begin);
        out.put(e.getKey(), new Tensor(dtype, shape, data.array()));
      }
      return out;
    } catch (IOException e) {
      throw new InputFormatException(file, "cannot read: " + e.getMessage());
    }
  }

  /** Reads a checkpoint folder: {@code model.safetensors}, or the shards its index names. */
  public static Map<String, Tensor> readFolder(Path dir) {
    Path single = dir.resolve(SINGLE);
    if (Files.isRegularFile(single)) {
      return read(single);
    }
    Path index = dir.resolve(INDEX);
    if (!Files.isRegularFile(index)) {
      throw new InputFormatException(dir, "no " + SINGLE + " nor " + INDEX);
    }
    JsonNode map;
    try {
      map = JSON.readTree(index.toFile()).path("weight_map");
    } catch (IOException e) {
      throw new InputFormatException(index, "bad JSON: " + e.getMessage());
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    Map<String, Map<String, Tensor>> shards = new TreeMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = map.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String shard = e.getValue().asText();
      Map<String, Tensor> s = shards.computeIfAbsent(shard, k -> read(dir.resolve(k)));
      Tensor t = s.get(e.getKey());
      if (t == null) {
        throw new InputFormatException(index, "tensor " + e.getKey() + " not found in " + shard);
      }
      out.put(e.getKey(), t);
    }
    return out;
  }

  /** Writes tensors (in the given order) into one file, atomically. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode m = header.putObject("__metadata__");
      metadata.forEach(m::put);
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor t = e.getValue();
      ObjectNode o = header.putObject(e.getKey());
      o.put("dtype", t.dtype().safetensorsName);
      var shape = o.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      var offs = o.putArray("data_offsets");
      offs.add(offset);
      offset += t.data().length;
      offs.add(offset);
    }
    byte[] h;
    try {
      h = JSON.writeValueAsBytes(header);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    // pad the header with spaces so the data starts 8-byte aligned, as the reference writer does
    int padded = (h.length + 7) / 8 * 8;
    byte[] hp = new byte[padded];
    System.arraycopy(h, 0, hp, 0, h.length);
    for (int i = h.length; i < padded; i++) {
      hp[i] = ' ';
    }
    AtomicFiles.writeBytes(file, os -> {
      os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      os.write(hp);
      for (Tensor t : tensors.values()) {
        os.write(t.data());
      }
    });
  }

  /**
   * Writes tensors as shards of at most {@code maxShardBytes} of data each ({@code
   * model-00001-of-00003.safetensors}, ...) with {@code model.safetensors.index.json}; a checkpoint
   * that fits in one shard is written as a single {@code model.safetensors}.
   */
  public static void writeFolder(Path dir, Map<String, Tensor> tensors, long maxShardBytes) {
    List<Map<String, Tensor>> shards = new ArrayList<>();
    Map<String, Tensor> cur = new LinkedHashMap<>();
    long size = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      long b = e.getValue().data().length;
      if (!cur.isEmpty() && size + b > maxShardBytes) {
        shards.add(cur);
        cur = new LinkedHashMap<>();
        size = 0;
      }
      cur.put(e.getKey(), e.getValue());
      size += b;
    }
    shards.add(cur);
    if (shards.size() == 1) {
      write(dir.resolve(SINGLE), tensors, Map.of("format", "pt"));
      return;
    }
    ObjectNode index = JSON.createObjectNode();
    long total = 0;
    ObjectNode map = JSON.createObjectNode();
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      write(dir.resolve(name), shards.get(i), Map.of("format", "pt"));
      for (Map.Entry<String, Tensor> e : shards.get(i).entrySet()) {
        map.put(e.getKey(), name);
        total += e.getValue().data().length;
      }
    }
    index.putObject("metadata").put("total_size", total);
    index.set("weight_map", map);
    try {
      AtomicFiles.writeString(dir.resolve(INDEX), JSON.writerWithDefaultPrettyPrinter()
          .writeValueAsString(index) + "\n");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
