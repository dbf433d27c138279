package org.disranker.core.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Reads a UTF-8 text file line by line, with 1-based line numbers for error messages. */
public final class Lines {
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private Lines() {}

  /** Receives one line. */
  @FunctionalInterface
  public interface LineHandler {
    void accept(long lineNo, String line);
  }

  /** Calls the handler for every line; a missing file is an {@link InputFormatException}. */
  public static void forEach(Path file, LineHandler handler) {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      long n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        handler.accept(n, line);
      }
    } catch (NoSuchFileException e) {
      throw new InputFormatException(file, "file not found");
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file, e);
    }
  }

  /** Splits on runs of whitespace after trimming. */
  public static String[] fields(String line) {
    String t = line.strip();
    return t.isEmpty() ? new String[0] : WHITESPACE.split(t);
  }

  /** Parses an integer field or fails naming file, line and field. */
  public static int parseInt(Path file, long lineNo, String what, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new InputFormatException(file, lineNo, what + " is not an integer: '" + value + "'");
    }
  }

  /** Parses a finite double field or fails naming file, line and field. */
  public static double parseDouble(Path file, long lineNo, String what, String value) {
    double d;
    try {
      d = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new InputFormatException(file, lineNo, what + " is not a number: '" + value + "'");
    }
    if (!Double.isFinite(d)) {
      throw new InputFormatException(file, lineNo, what + " is not finite: '" + value + "'");
    }
    return d;
  }
}
