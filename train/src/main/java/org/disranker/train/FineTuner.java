package org.disranker.train;

import ai.djl.Device;
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
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.FileTrees;
import org.disranker.core.util.Interruption;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.io.Safetensors;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * Fine-tunes a BERT cross-encoder on graded labels (the paper's "BERT fine-tuned" baseline) with
 * AdamW, warm-up and linear decay, gradient clipping and dynamic padding.
 *
 * <p>The output folder holds {@code checkpoint/} (the model as a Hugging Face folder plus {@code
 * optimizer.safetensors} and {@code state.json}), rewritten every {@code checkpointEvery} steps
 * and when the job is interrupted, and at the end {@code model/} (with {@code train.json}: config,
 * losses, speed) and {@code loss.tsv}, the checkpoint then removed. Started
 * again on the same folder with the same config, it resumes from the checkpoint and ends with the
 * same weights as an uninterrupted run (batches depend only on seed and step); on a finished
 * folder it returns the trained model at once.
 */
public final class FineTuner {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** What a run ended with. */
  public record Result(Path model, long steps, boolean interrupted, List<Double> losses,
      double tokensPerSecond) {}

  private final FineTuneConfig config;
  private final Device device;

  public FineTuner(FineTuneConfig config, Device device) {
    this.config = config;
    this.device = device;
  }

  /**
   * Trains from {@code init} (or from the checkpoint in {@code outDir}) on the pairs, stopping
   * early when {@code stop} is requested or after {@code stopAfter} steps of this call (for
   * tests; use a negative number for no limit).
   */
  public Result train(BertCheckpoint init, TrainingPairs pairs, Map<String, Query> queries,
      Map<String, Document> docs, Path outDir, Interruption stop, long stopAfter) {
    Path ckptDir = outDir.resolve("checkpoint");
    Path finished = outDir.resolve("model").resolve("train.json");
    if (Files.isRegularFile(finished)) {
      JsonNode info = readJson(finished);
      FineTuneConfig saved = JSON.convertValue(info.get("config"), FineTuneConfig.class);
      if (!saved.equals(config)) {
        throw new IllegalArgumentException(outDir + " holds a model trained with another config;"
            + " use a new output folder");
      }
      List<Double> losses = new ArrayList<>();
      info.get("losses").forEach(n -> losses.add(n.asDouble()));
      System.err.println("already trained: " + outDir.resolve("model"));
      return new Result(outDir.resolve("model"), config.steps(), false, losses,
          info.path("tokensPerSecond").asDouble());
    }
    long start = 0;
    List<Double> losses = new ArrayList<>();
    BertCheckpoint from = init;
    Map<String, org.disranker.model.io.Tensor> optState = null;
    if (Files.isRegularFile(ckptDir.resolve("state.json"))) {
      JsonNode state = readJson(ckptDir.resolve("state.json"));
      FineTuneConfig saved = JSON.convertValue(state.get("config"), FineTuneConfig.class);
      if (!saved.equals(config)) {
        throw new IllegalArgumentException("checkpoint in " + ckptDir + " was made with another"
            + " config; use a new output folder or delete the checkpoint");
      }
      start = state.get("step").asLong();
      state.get("losses").forEach(n -> losses.add(n.asDouble()));
      from = BertCheckpoint.load(ckptDir);
      optState = Safetensors.read(ckptDir.resolve("optimizer.safetensors"));
      System.err.println("resuming from step " + start + " of " + config.steps());
    }
    long tokens = 0;
    long t0 = System.nanoTime();
    boolean interrupted = false;
    try (BertModel model = BertModel.create(from, device);
        PairTokenizer tok = new PairTokenizer(from.tokenizerJson(), config.maxLength());
        Progress progress = Progress.start("fine-tune", config.steps())) {
      progress.step(start);
      model.parameters().forEach(p -> p.setRequiresGradient(true));
      AdamW opt = AdamW.withDefaults(model.namedParameters(), config.weightDecay());
      if (optState != null) {
        opt.load(optState, start);
      }
      long step = start;
      long done = 0;
      while (step < config.steps()) {
        if ((stop != null && stop.requested()) || (stopAfter >= 0 && done >= stopAfter)) {
          interrupted = true;
          break;
        }
        List<TrainingPairs.Pair> batch = pairs.batch(step, config.batchPairs());
        List<String> qs = new ArrayList<>();
        List<String> ds = new ArrayList<>();
        float[] targets = new float[2 * batch.size()];
        int i = 0;
        for (TrainingPairs.Pair p : batch) {
          String q = queries.get(p.qid()).text();
          qs.add(q);
          ds.add(docs.get(p.pos()).text());
          qs.add(q);
          ds.add(docs.get(p.neg()).text());
          targets[i++] = (float) p.posGrade() / config.maxGrade();
          targets[i++] = (float) p.negGrade() / config.maxGrade();
        }
        Batch b = Batch.of(tok.encodeAll(qs, ds));
        for (long m : b.mask()) {
          tokens += m;
        }
        double loss;
        try (NDManager sub = model.manager().newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray scores = model.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub));
          NDArray l = loss(scores, sub.create(targets));
          gc.backward(l);
          loss = l.getFloat();
        }
        opt.update(config.learningRateAt(step), config.maxGradNorm());
        losses.add(loss);
        step++;
        done++;
        progress.step();
        if (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0
            && step < config.steps()) {
          saveCheckpoint(ckptDir, model, opt, from.tokenizerJson(), step, losses);
        }
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double tps = tokens / Math.max(secs, 1e-9);
      if (interrupted) {
        saveCheckpoint(ckptDir, model, opt, from.tokenizerJson(), step, losses);
        return new Result(ckptDir, step, true, losses, tps);
      }
      Path modelDir = outDir.resolve("model");
      model.toCheckpoint(from.tokenizerJson()).save(modelDir);
      ObjectNode info = JSON.createObjectNode();
      info.set("config", JSON.valueToTree(config));
      info.put("tokensPerSecond", tps);
      info.set("losses", JSON.valueToTree(losses));
      try {
        AtomicFiles.writeString(modelDir.resolve("train.json"), JSON.writeValueAsString(info)
            + "\n");
        FileTrees.deleteRecursively(ckptDir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      StringBuilder sb = new StringBuilder("step\tloss\n");
      for (int k = 0; k < losses.size(); k++) {
        sb.append(k + 1).append('\t').append(losses.get(k)).append('\n');
      }
      AtomicFiles.writeString(outDir.resolve("loss.tsv"), sb.toString());
      return new Result(modelDir, step, false, losses, tps);
    }
  }

  /** The configured loss of scores laid out [pos0, neg0, pos1, neg1, ...]. */
  NDArray loss(NDArray scores, NDArray targets) {
    if (config.loss().equals("pointwise")) {
      return scores.sub(targets).square().mean();
    }
    NDArray s = scores.reshape(-1, 2);
    NDArray diff = s.get(":, 0").sub(s.get(":, 1"));
    return diff.neg().add(config.margin()).maximum(0).mean();
  }

  private void saveCheckpoint(Path dir, BertModel model, AdamW opt, byte[] tokenizer, long step,
      List<Double> losses) {
    Path tmp = dir.resolveSibling(dir.getFileName() + ".saving");
    try {
      FileTrees.deleteRecursively(tmp);
      model.toCheckpoint(tokenizer).save(tmp);
      Safetensors.write(tmp.resolve("optimizer.safetensors"), opt.state(), Map.of());
      ObjectNode state = JSON.createObjectNode();
      state.put("step", step);
      state.set("config", JSON.valueToTree(config));
      state.set("losses", JSON.valueToTree(losses));
      AtomicFiles.writeString(tmp.resolve("state.json"), JSON.writeValueAsString(state) + "\n");
      FileTrees.deleteRecursively(dir);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("saving checkpoint " + dir, e);
    }
  }

  private static JsonNode readJson(Path p) {
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + p, e);
    }
  }
}
