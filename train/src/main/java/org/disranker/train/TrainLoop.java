package org.disranker.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.FileTrees;
import org.disranker.core.util.Interruption;
import org.disranker.core.util.Progress;
import org.disranker.model.io.Safetensors;

/**
 * The training loop every stage shares: AdamW with warm-up and linear decay and gradient
 * clipping, a progress bar, checkpoints every N steps and on interruption, exact resume, and a
 * finished-run marker. A step whose gradient is not finite is skipped (the weights stay as they
 * were) and reported; five in a row end the run.
 *
 * <p>Layout of the output folder: {@code checkpoint/} (what the task saves, plus {@code
 * optimizer.safetensors} and {@code state.json} with step, config and losses) while training;
 * at the end {@code model/} (the task's final save, with {@code train.json}) and {@code
 * loss.tsv}, the checkpoint removed. Run again on the same folder with the same config, it resumes
 * from the checkpoint, or returns the finished model at once; another config is refused.
 * Batches must depend on (seed, step) only, so that a resumed run ends where an uninterrupted one
 * does.
 */
public final class TrainLoop {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Consecutive steps with a non-finite gradient after which a run gives up. */
  static final int MAX_SKIPPED = 5;

  /** Schedule and optimizer settings. */
  public record Schedule(int steps, double learningRate, double warmup, double weightDecay,
      double maxGradNorm, int checkpointEvery) {
    public Schedule {
      if (steps <= 0) {
        throw new IllegalArgumentException("steps must be positive");
      }
      if (warmup < 0 || warmup >= 1) {
        throw new IllegalArgumentException("warm-up share must be in [0, 1)");
      }
    }

    /** Learning rate at a 0-based step: linear warm-up, then linear decay to zero. */
    public double learningRateAt(long step) {
      long warm = Math.round(warmup * steps);
      if (step < warm) {
        return learningRate * (step + 1) / warm;
      }
      return learningRate * Math.max(0.0, (double) (steps - step) / Math.max(1, steps - warm));
    }
  }

  /** One step's loss and how many tokens it processed. */
  public record Step(NDArray loss, long tokens) {}

  /** A model and its data, as one stage trains them. */
  public interface Task extends AutoCloseable {
    /** Parameters the optimizer updates, by name. */
    Map<String, NDArray> trainable();

    /** Computes the loss of a 0-based step; called inside an open gradient collector. */
    Step forward(long step, NDManager sub);

    /** This parameter's learning rate as a multiple of the schedule's (1 unless overridden). */
    default double learningRateScale(String name) {
      return 1;
    }

    /**
     * Steps between validations ({@link #validate}); 0 (the default) for none. A run with
     * validation also validates before its first step.
     */
    default int validateEvery() {
      return 0;
    }

    /** Whether a run from step 0 validates before its first step (when it validates at all). */
    default boolean validateAtStart() {
      return true;
    }

    /** Metrics of the model as it is now on a held-out set (called outside any collector). */
    default Map<String, Double> validate() {
      return Map.of();
    }

    /** Saves what a resume needs of the model into a folder. */
    void saveCheckpoint(Path dir);

    /** Saves the finished model into a folder. */
    void saveFinal(Path dir);

    @Override
    void close();
  }

  /** Builds the task from a checkpoint folder, or from its initial model when there is none. */
  @FunctionalInterface
  public interface TaskFactory {
    Task create(Path checkpoint);
  }

  /**
   * What a run ended with.
   *
   * @param validation one entry per validation: step, tokens trained on so far, and the metrics
   */
  public record Result(Path model, long steps, boolean interrupted, List<Double> losses,
      double tokensPerSecond, List<Map<String, Double>> validation) {
    public Result(Path model, long steps, boolean interrupted, List<Double> losses,
        double tokensPerSecond) {
      this(model, steps, interrupted, losses, tokensPerSecond, List.of());
    }
  }

  private TrainLoop() {}

  /**
   * Trains until the schedule ends, {@code stop} is requested, or {@code stopAfter} steps of this
   * call have run (negative: no limit).
   *
   * @param config the stage's whole configuration (a record); compared on resume
   */
  public static Result run(String label, Object config, Schedule schedule, TaskFactory factory,
      Path outDir, Interruption stop, long stopAfter) {
    Path ckptDir = outDir.resolve("checkpoint");
    Path modelDir = outDir.resolve("model");
    JsonNode configJson = normalized(config);
    Path finished = modelDir.resolve("train.json");
    if (Files.isRegularFile(finished)) {
      JsonNode info = readJson(finished);
      if (!configJson.equals(info.get("config"))) {
        throw new IllegalArgumentException(outDir + " holds a model trained with another config;"
            + " use a new output folder");
      }
      System.err.println(label + ": already trained: " + modelDir);
      return new Result(modelDir, schedule.steps(), false, doubles(info.get("losses")),
          info.path("tokensPerSecond").asDouble(), records(info.get("validation")));
    }
    long start = 0;
    long totalTokens = 0;
    List<Double> losses = new ArrayList<>();
    List<Map<String, Double>> validation = new ArrayList<>();
    Path from = null;
    if (Files.isRegularFile(ckptDir.resolve("state.json"))) {
      JsonNode state = readJson(ckptDir.resolve("state.json"));
      if (!configJson.equals(state.get("config"))) {
        throw new IllegalArgumentException("checkpoint in " + ckptDir + " was made with another"
            + " config; use a new output folder or delete the checkpoint");
      }
      start = state.get("step").asLong();
      totalTokens = state.path("tokens").asLong();
      losses.addAll(doubles(state.get("losses")));
      validation.addAll(records(state.get("validation")));
      from = ckptDir;
      System.err.println(label + ": resuming from step " + start + " of " + schedule.steps());
    }
    long tokens = 0;
    long t0 = System.nanoTime();
    try (Task task = factory.create(from);
        Progress progress = Progress.start(label, schedule.steps())) {
      progress.step(start);
      Map<String, NDArray> params = task.trainable();
      params.values().forEach(p -> p.setRequiresGradient(true));
      AdamW opt = AdamW.withDefaults(params, schedule.weightDecay());
      if (from != null) {
        opt.load(Safetensors.read(from.resolve("optimizer.safetensors")), start);
      }
      NDManager root = params.values().iterator().next().getManager();
      long step = start;
      long done = 0;
      int skippedInARow = 0;
      boolean interrupted = false;
      int every = task.validateEvery();
      if (every > 0 && start == 0 && task.validateAtStart()) {
        validation.add(validationRecord(task, 0, 0));
      }
      while (step < schedule.steps()) {
        if ((stop != null && stop.requested()) || (stopAfter >= 0 && done >= stopAfter)) {
          interrupted = true;
          break;
        }
        double loss;
        try (NDManager sub = root.newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          Step s = task.forward(step, sub);
          gc.backward(s.loss());
          loss = s.loss().getFloat();
          tokens += s.tokens();
          totalTokens += s.tokens();
        }
        if (!Double.isFinite(loss)) {
          throw new IllegalStateException(label + ": loss became " + loss + " at step "
              + (step + 1) + "; lower the learning rate");
        }
        double norm = opt.update(schedule.learningRateAt(step), schedule.maxGradNorm(),
            task::learningRateScale);
        if (!Double.isFinite(norm)) {
          skippedInARow++;
          System.err.println(label + ": gradient norm " + norm + " at step " + (step + 1)
              + "; update skipped (non-finite in " + opt.nonFiniteGradients() + ")");
          if (skippedInARow >= MAX_SKIPPED) {
            throw new IllegalStateException(label + ": " + MAX_SKIPPED + " steps in a row had a"
                + " non-finite gradient; lower the learning rate");
          }
        } else {
          skippedInARow = 0;
        }
        losses.add(loss);
        step++;
        done++;
        progress.step();
        if (every > 0 && (step % every == 0 || step == schedule.steps())) {
          validation.add(validationRecord(task, step, totalTokens));
          System.err.println(label + ": step " + step + " " + validation.get(
              validation.size() - 1));
        }
        if (schedule.checkpointEvery() > 0 && step % schedule.checkpointEvery() == 0
            && step < schedule.steps()) {
          saveCheckpoint(ckptDir, task, opt, configJson, step, totalTokens, losses, validation);
        }
      }
      double tps = tokens / Math.max((System.nanoTime() - t0) / 1e9, 1e-9);
      if (interrupted) {
        saveCheckpoint(ckptDir, task, opt, configJson, step, totalTokens, losses, validation);
        return new Result(ckptDir, step, true, losses, tps, validation);
      }
      task.saveFinal(modelDir);
      ObjectNode info = JSON.createObjectNode();
      info.set("config", configJson);
      info.put("tokensPerSecond", tps);
      info.put("tokens", totalTokens);
      info.set("losses", JSON.valueToTree(losses));
      info.set("validation", JSON.valueToTree(validation));
      AtomicFiles.writeString(finished, JSON.writeValueAsString(info) + "\n");
      StringBuilder sb = new StringBuilder("step\tloss\n");
      for (int k = 0; k < losses.size(); k++) {
        sb.append(k + 1).append('\t').append(losses.get(k)).append('\n');
      }
      AtomicFiles.writeString(outDir.resolve("loss.tsv"), sb.toString());
      if (!validation.isEmpty()) {
        List<String> cols = new ArrayList<>(validation.get(0).keySet());
        StringBuilder v = new StringBuilder(String.join("\t", cols)).append('\n');
        for (Map<String, Double> r : validation) {
          List<String> vals = new ArrayList<>();
          cols.forEach(c -> vals.add(c.equals("step") || c.equals("tokens")
              ? String.valueOf(r.get(c).longValue()) : String.valueOf(r.get(c))));
          v.append(String.join("\t", vals)).append('\n');
        }
        AtomicFiles.writeString(outDir.resolve("validation.tsv"), v.toString());
      }
      FileTrees.deleteRecursively(ckptDir);
      return new Result(modelDir, step, false, losses, tps, validation);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Double> validationRecord(Task task, long step, long tokens) {
    Map<String, Double> r = new java.util.LinkedHashMap<>();
    r.put("step", (double) step);
    r.put("tokens", (double) tokens);
    r.putAll(task.validate());
    return r;
  }

  private static List<Map<String, Double>> records(JsonNode n) {
    List<Map<String, Double>> out = new ArrayList<>();
    if (n != null) {
      n.forEach(o -> {
        Map<String, Double> r = new java.util.LinkedHashMap<>();
        o.fields().forEachRemaining(e -> r.put(e.getKey(), e.getValue().asDouble()));
        out.add(r);
      });
    }
    return out;
  }

  private static void saveCheckpoint(Path dir, Task task, AdamW opt, JsonNode config, long step,
      long tokens, List<Double> losses, List<Map<String, Double>> validation) {
    Path tmp = dir.resolveSibling(dir.getFileName() + ".saving");
    try {
      FileTrees.deleteRecursively(tmp);
      Files.createDirectories(tmp);
      task.saveCheckpoint(tmp);
      Safetensors.write(tmp.resolve("optimizer.safetensors"), opt.state(), Map.of());
      ObjectNode state = JSON.createObjectNode();
      state.put("step", step);
      state.put("tokens", tokens);
      state.set("config", config);
      state.set("losses", JSON.valueToTree(losses));
      state.set("validation", JSON.valueToTree(validation));
      AtomicFiles.writeString(tmp.resolve("state.json"), JSON.writeValueAsString(state) + "\n");
      FileTrees.deleteRecursively(dir);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("saving checkpoint " + dir, e);
    }
  }

  /** The config as JSON read back from text, so it compares equal to a saved copy. */
  static JsonNode normalized(Object config) {
    try {
      return JSON.readTree(JSON.writeValueAsString(config));
    } catch (IOException e) {
      throw new IllegalArgumentException("config is not serializable: " + e.getMessage(), e);
    }
  }

  private static List<Double> doubles(JsonNode n) {
    List<Double> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asDouble()));
    return out;
  }

  private static JsonNode readJson(Path p) {
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + p, e);
    }
  }
}
