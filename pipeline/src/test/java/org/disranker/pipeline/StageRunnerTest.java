package org.disranker.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stages are skipped when their config and inputs are unchanged, and only then. */
class StageRunnerTest {
  @TempDir Path dir;

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  /** A first stage writes a file; a second reads it and counts how often it ran. */
  static int[] runBoth(Path runDir, AtomicInteger first, AtomicInteger second) {
    StageRunner r = new StageRunner(runDir, false);
    StageRunner.Result a = r.run("make", Map.of("n", 3), List.of(), d -> {
      first.incrementAndGet();
      Files.writeString(d.resolve("out.txt"), "three");
      return Map.of();
    });
    r.run("use", Map.of(), List.of(a.dir().resolve("out.txt")), d -> {
      second.incrementAndGet();
      return Map.of();
    });
    return new int[] {first.get(), second.get()};
  }

  @Test
  void aCopiedRunDirectoryIsStillUpToDateAndAChangedInputIsNot() throws IOException {
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    Path a = dir.resolve("a");
    assertEquals(List.of(1, 1), List.of(runBoth(a, first, second)[0], second.get()));
    runBoth(a, first, second);
    assertEquals(1, first.get(), "unchanged: skipped");
    assertEquals(1, second.get());

    Path b = dir.resolve("b");
    copyTree(a, b);
    runBoth(b, first, second);
    assertEquals(1, first.get(), "a copy with its times is up to date");
    assertEquals(1, second.get(), "inputs inside the run directory are named relative to it");

    Path out = b.resolve("make").resolve("out.txt");
    Files.setLastModifiedTime(out, FileTime.fromMillis(Files.getLastModifiedTime(out)
        .toMillis() + 5000));
    runBoth(b, first, second);
    assertEquals(1, second.get(), "a new modification time alone (a fresh copy) changes nothing");
    // the same size, another content, the old modification time
    FileTime t = Files.getLastModifiedTime(out);
    Files.writeString(out, "THREE");
    Files.setLastModifiedTime(out, t);
    runBoth(b, first, second);
    assertEquals(1, first.get());
    assertEquals(2, second.get(), "a changed input reruns the stage that reads it");
    String manifest = Files.readString(b.resolve("use").resolve("manifest.json"));
    assertTrue(manifest.contains("\"./make/out.txt\""), manifest);
    assertFalse(manifest.contains(dir.toString()), manifest);
  }
}
