package org.disranker.core.io;

import java.nio.file.Path;

/** Malformed input: the message names the file and, where there is one, the 1-based line. */
public class InputFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Path file;
  private final long line;

  public InputFormatException(Path file, long line, String message) {
    super(file + (line > 0 ? ":" + line : "") + ": " + message);
    this.file = file;
    this.line = line;
  }

  public InputFormatException(Path file, String message) {
    this(file, 0, message);
  }

  public Path file() {
    return file;
  }

  /** 1-based line number, or 0 when the error is about the file as a whole. */
  public long line() {
    return line;
  }
}
