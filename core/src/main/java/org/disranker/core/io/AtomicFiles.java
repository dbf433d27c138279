package org.disranker.core.io;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file all at once or not at all: the content goes to a temporary file beside the target,
 * which is renamed over the target only after it was written completely. A failure leaves the old
 * target untouched and no temporary file behind. The file is readable by everyone and writable by
 * its owner (0644, what {@code cp} and {@code git} give under the usual umask), so a service that
 * runs as another user can load an export; a temporary file alone would be 0600.
 */
public final class AtomicFiles {
  static final java.util.Set<java.nio.file.attribute.PosixFilePermission> READABLE =
      java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");

  private AtomicFiles() {}

  /** Writes text to a file. */
  @FunctionalInterface
  public interface WriterBody {
    void write(Writer out) throws IOException;
  }

  /** Writes bytes to a file. */
  @FunctionalInterface
  public interface StreamBody {
    void write(OutputStream out) throws IOException;
  }

  /** Writes UTF-8 text atomically. */
  public static void write(Path target, WriterBody body) {
    writeBytes(target, os -> {
      Writer w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
      body.write(w);
      w.flush();
    });
  }

  /** Writes a string atomically. */
  public static void writeString(Path target, String content) {
    write(target, w -> w.write(content));
  }

  /** Writes bytes atomically. */
  public static void writeBytes(Path target, StreamBody body) {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
      try (OutputStream os = Files.newOutputStream(tmp)) {
        body.write(os);
      }
      if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
        Files.setPosixFilePermissions(tmp, READABLE);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + target, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original failure is the one worth reporting
        }
      }
    }
  }
}
