package org.disranker.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void writtenFilesAreReadableByOthersLikeCpWouldLeaveThem() throws IOException {
    assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"));
    Path f = dir.resolve("model.onnx");
    AtomicFiles.writeBytes(f, os -> os.write(new byte[] {1, 2, 3}));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    AtomicFiles.writeString(f, "again"); // replacing keeps the mode too
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    assertEquals("again", Files.readString(f));
  }

  @Test
  void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
    Path f = dir.resolve("a.txt");
    AtomicFiles.writeString(f, "old");
    assertThrows(UncheckedIOException.class, () -> AtomicFiles.writeBytes(f, os -> {
      os.write(1);
      throw new IOException("disk full");
    }));
    assertEquals("old", Files.readString(f));
    try (var s = Files.list(dir)) {
      assertEquals(1, s.count());
    }
  }
}
