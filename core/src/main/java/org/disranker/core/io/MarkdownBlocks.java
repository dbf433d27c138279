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
    if (!Files.exists(file)) {
      return null;
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file, e);
    }
    String begin = "<!-- BEGIN " + name + " -->\n";
    int b = text.indexOf(begin);
    if (b < 0) {
      return null;
    }
    int e = text.indexOf("<!-- END " + name + " -->", b);
    if (e < 0) {
      throw new InputFormatException(file, "section '" + name + "' has no end marker");
    }
    return text.substring(b + begin.length(), e);
  }

  public static void upsert(Path file, String name, String content) {
    if (!name.matches("[A-Za-z0-9._/-]+")) {
      throw new IllegalArgumentException("section name may hold letters, digits and . _ / -: '"
          + name + "'");
    }
    String begin = "<!-- BEGIN " + name + " -->";
    String end = "<!-- END " + name + " -->";
    String body = content.endsWith("\n") ? content : content + "\n";
    String block = begin + "\n" + body + end;
    String old;
    try {
      old = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file, e);
    }
    int b = old.indexOf(begin);
    String updated;
    if (b >= 0) {
      int e = old.indexOf(end, b);
      if (e < 0) {
        throw new InputFormatException(file, "section '" + name + "' has no end marker '" + end
            + "'");
      }
      updated = old.substring(0, b) + block + old.substring(e + end.length());
    } else {
      String sep = old.isEmpty() || old.endsWith("\n\n") ? "" : old.endsWith("\n") ? "\n" : "\n\n";
      updated = old + sep + block + "\n";
    }
    AtomicFiles.writeString(file, updated);
  }
}
