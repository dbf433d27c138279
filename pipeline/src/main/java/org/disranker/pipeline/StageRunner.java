package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.FileTrees;

/**
 * Runs pipeline stages in a run directory, one folder per stage, and skips a stage that already
 * finished with the same configuration and inputs.
 *
 * <p>A stage works in {@code NAME.partial}; only when its body returns is the folder renamed to
 * {@code NAME} with a {@code manifest.json} (stage, config, input fingerprints, start time,
 * seconds, metrics). A run killed mid-stage therefore leaves no folder that looks finished: the
 * next run removes the partial folder and does the stage again. Input fingerprints are the size
 * and a SHA-256 digest of every file under each input path, so a stage is redone when an input's
 * content changes and not when only its modification time does (a fresh copy of the shared data,
 * a checkout); files inside the run directory are named relative to it ({@code ./pool/run.txt}),
 * so a run directory copied or moved elsewhere is still up to date.
 */
public final class StageRunner {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  /** The work of one stage: writes its outputs into the folder and returns its metrics. */
  @FunctionalInterface
  public interface Body {
    Map<String, Object> run(Path stageDir) throws IOException;
  }

  /** The outcome of a stage: where its outputs are, its metrics, and whether it was skipped. */
  public record Result(String name, Path dir, JsonNode metrics, boolean skipped, double seconds) {}

  private final Path runDir;
  private final boolean force;

  public StageRunner(Path runDir, boolean force) {
    this.runDir = runDir;
    this.force = force;
  }

  /** The run directory the stage folders are in. */
  public Path runDir() {
    return runDir;
  }

  public Result run(String name, Map<String, Object> config, List<Path> inputs, Body body) {
    Path dir = runDir.resolve(name);
    Path partial = runDir.resolve(name + ".partial");
    try {
      ObjectNode built = JSON.createObjectNode();
      built.set("config", JSON.valueToTree(new TreeMap<>(config)));
      built.set("inputs", JSON.valueToTree(fingerprints(runDir, inputs)));
      // compared as read back from JSON: a long 42 in memory and the 42 read from a manifest
      // must be equal (LongNode and IntNode are not)
      JsonNode wanted = JSON.readTree(JSON.writeValueAsString(built));
      Path manifest = dir.resolve("manifest.json");
      if (!force && Files.isRegularFile(manifest)) {
        JsonNode old = JSON.readTree(manifest.toFile());
        if (wanted.get("config").equals(old.get("config"))
            && wanted.get("inputs").equals(old.get("inputs"))) {
          System.err.println("stage " + name + ": up to date, skipped");
          return new Result(name, dir, old.get("metrics"), true, old.path("seconds").asDouble());
        }
      }
      FileTrees.deleteRecursively(partial);
      Files.createDirectories(partial);
      System.err.println("stage " + name + ": running");
      Instant start = Instant.now();
      long t0 = System.nanoTime();
      Map<String, Object> metrics = body.run(partial);
      double seconds = (System.nanoTime() - t0) / 1e9;
      ObjectNode m = JSON.createObjectNode();
      m.put("stage", name);
      m.set("config", wanted.get("config"));
      m.set("inputs", wanted.get("inputs"));
      m.put("started", start.toString());
      m.put("seconds", Math.round(seconds * 10) / 10.0);
      m.set("metrics", JSON.valueToTree(metrics));
      AtomicFiles.writeString(partial.resolve("manifest.json"), JSON.writeValueAsString(m) + "\n");
      FileTrees.deleteRecursively(dir);
      Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
      System.err.printf("stage %s: done in %.1fs%n", name, seconds);
      return new Result(name, dir, m.get("metrics"), false, seconds);
    } catch (IOException e) {
      throw new UncheckedIOException("stage " + name, e);
    }
  }

  /** {@code size:sha256} of a file (the first 16 bytes of the digest, in hex). */
  static String digest(Path f) throws IOException {
    long size = Files.size(f);
    java.security.MessageDigest md;
    try {
      md = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (var in = Files.newInputStream(f)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return size + ":" + java.util.HexFormat.of().formatHex(md.digest(), 0, 16);
  }

  static Map<String, String> fingerprints(Path runDir, List<Path> inputs) {
    Map<String, String> out = new TreeMap<>();
    Path root = runDir.toAbsolutePath().normalize();
    for (Path in : inputs) {
      Path p = in.toAbsolutePath().normalize();
      if (!Files.exists(p)) {
        throw new IllegalArgumentException("input not found: " + p);
      }
      try (Stream<Path> s = Files.walk(p)) {
        for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
          String key = f.startsWith(root) ? "./" + root.relativize(f).toString()
              .replace('\\', '/') : f.toString();
          out.put(key, digest(f));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }
}
