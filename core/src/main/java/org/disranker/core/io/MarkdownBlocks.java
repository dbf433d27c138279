package org.disranker.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps generated sections of a Markdown file (such as docs/RESULTS.md) up to date: each section
 * sits between {@code <!-- BEGIN name -->} and {@code <!-- END name -->} and is replaced whole by
 * the command that computes it; text outside the markers is never touched. A new section is
 * appended at the end. The file is rewritten atomically.
 */
public final class MarkdownBlocks {
  private MarkdownBlocks() {}

  /** The body of a section (between its markers), or null when the file or section is absent. */
  public static String read(Path file, String name) {
    String text = text(file);
    String begin = begin(name) + "\n";
    int b = text.indexOf(begin);
    if (b < 0) {
      return null;
    }
    return text.substring(b + begin.length(), endOf(file, text, name, b));
  }

  public static void upsert(Path file, String name, String content) {
    if (!name.matches("[A-Za-z0-9._/-]+")) {
      throw new IllegalArgumentException("section name may hold letters, digits and . _ / -: '"
          + name + "'");
    }
    String begin = begin(name);
    String end = end(name);
    String body = content.endsWith("\n") ? content : content + "\n";
    String block = begin + "\n" + body + end;
    String old = text(file);
    int b = old.indexOf(begin);
    String updated;
    if (b >= 0) {
      updated = old.substring(0, b) + block + old.substring(endOf(file, old, name, b)
          + end.length());
    } else {
      String sep = old.isEmpty() || old.endsWith("\n\n") ? "" : old.endsWith("\n") ? "\n" : "\n\n";
      updated = old + sep + block + "\n";
    }
    AtomicFiles.writeString(file, updated);
  }

  private static String begin(String name) {
    return "<!-- BEGIN " + name + " -->";
  }

  private static String end(String name) {
    return "<!-- END " + name + " -->";
  }

  /** The file's text, empty when it does not exist. */
  private static String text(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file, e);
    }
  }

  /** Where the end marker of the section begun at {@code from} starts. */
  private static int endOf(Path file, String text, String name, int from) {
    int e = text.indexOf(end(name), from);
    if (e < 0) {
      throw new InputFormatException(file, "section '" + name + "' has no end marker '"
          + end(name) + "'");
    }
    return e;
  }
}
