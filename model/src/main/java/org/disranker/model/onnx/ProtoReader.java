package org.disranker.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A minimal reader of the protocol buffers wire format, enough to walk ONNX files: field tags,
 * varints, fixed 32/64-bit values and length-delimited payloads (strings, bytes, sub-messages,
 * packed repeated fields).
 */
public final class ProtoReader {
  private final ByteBuffer buf;
  private final int end;
  private int tag;

  public ProtoReader(ByteBuffer buf) {
    this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.end = this.buf.limit();
  }

  /** Advances to the next field; false at the end of the message. */
  public boolean next() {
    if (buf.position() >= end) {
      return false;
    }
    tag = (int) readVarint();
    return true;
  }

  /** True while unread bytes remain (for packed repeated fields). */
  public boolean hasRemaining() {
    return buf.position() < end;
  }

  public int field() {
    return tag >>> 3;
  }

  public int wireType() {
    return tag & 7;
  }

  public long readVarint() {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = buf.get();
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalStateException("malformed varint");
  }

  /** The payload of a length-delimited field, as a view (no copy). */
  public ByteBuffer readBytes() {
    int len = (int) readVarint();
    ByteBuffer slice = buf.slice(buf.position(), len).order(ByteOrder.LITTLE_ENDIAN);
    buf.position(buf.position() + len);
    return slice;
  }

  public String readString() {
    ByteBuffer b = readBytes();
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return new String(a, StandardCharsets.UTF_8);
  }

  public ProtoReader readMessage() {
    return new ProtoReader(readBytes());
  }

  public float readFloat() {
    return buf.getFloat();
  }

  /** Skips the current field's value. */
  public void skip() {
    switch (wireType()) {
      case 0 -> readVarint();
      case 1 -> buf.position(buf.position() + 8);
      case 2 -> readBytes();
      case 5 -> buf.position(buf.position() + 4);
      default -> throw new IllegalStateException("unsupported wire type " + wireType());
    }
  }
}
