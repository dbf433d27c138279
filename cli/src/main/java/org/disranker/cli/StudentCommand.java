package org.disranker.cli;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.util.Interruption;
import org.disranker.model.Devices;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.onnx.BertOnnxExporter;
import org.disranker.train.FineTuneConfig;
import org.disranker.train.FineTuner;
import org.disranker.train.TrainingPairs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker student}: the BERT cross-encoder that ships. */
@Command(name = "student", mixinStandardHelpOptions = true,
    description = "The BERT cross-encoder student: initialise, fine-tune on labels, export.",
    subcommands = {StudentCommand.Init.class, StudentCommand.FineTune.class,
        StudentCommand.Export.class})
public final class StudentCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Writes a starting checkpoint. */
  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Write a student as a Hugging Face folder, from the pretrained MiniLM or a"
          + " BERT folder, optionally keeping only its first N layers.")
  static final class Init implements Callable<Integer> {
    @Option(names = "--from", defaultValue = Models.MINILM,
        description = "minilm, bge-small or e5-small (12 layers) or a Hugging Face BERT folder"
            + " (default ${DEFAULT-VALUE})")
    String from;

    @Option(names = "--layers", description = "Keep only the first N encoder layers")
    Integer layers;

    @Option(names = "--type1-from-type0",
        description = "Copy the token-type embedding of the query segment onto the document"
            + " segment's (a sentence encoder was trained on type 0 only)")
    boolean typeOne;

    @Option(names = {"-o", "--output"}, required = true, description = "Folder to write")
    Path output;

    @Override
    public Integer call() {
      BertCheckpoint c = Models.load(from, layers);
      if (typeOne) {
        c = c.withTypeOneFromTypeZero();
      }
      c.save(output);
      System.err.println("wrote " + c.config().numLayers() + "-layer student to " + output);
      return 0;
    }
  }

  /** Fine-tunes on graded labels. */
  @Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Fine-tune the student on a dataset's graded labels (the paper's 'BERT"
          + " fine-tuned' baseline). Checkpoints into OUT/checkpoint; run again to resume;"
          + " the result is OUT/model."})
  static final class FineTune implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--init", defaultValue = Models.MINILM,
        description = "Starting model: minilm, bge-small or e5-small (12 layers) or a folder"
            + " (default ${DEFAULT-VALUE})")
    String init;

    @Option(names = "--layers", description = "Keep only the first N layers of --init")
    Integer layers;

    @Option(names = "--out", required = true, description = "Output folder")
    Path out;

    @Option(names = "--loss", defaultValue = "margin",
        description = "margin or pointwise (default ${DEFAULT-VALUE})")
    String loss;

    @Option(names = "--margin", defaultValue = "0.1",
        description = "Margin T of the pairwise loss (default ${DEFAULT-VALUE})")
    double margin;

    @Mixin StudentTrainingOptions t;

    @Option(names = "--pairs-per-query", defaultValue = "200",
        description = "Training pairs sampled per query at most (default ${DEFAULT-VALUE})")
    int cap;

    @Option(names = "--max-grade", defaultValue = "3",
        description = "Top label grade, for the pointwise target (default ${DEFAULT-VALUE})")
    int maxGrade;

    @Override
    public Integer call() {
      Dataset d = data.open();
      FineTuneConfig c = new FineTuneConfig(loss, margin, t.steps, t.batch, t.lr, t.headLr, t.warmup,
          t.weightDecay, t.clip, t.maxLength, cap, maxGrade, t.seed, t.every);
      TrainingPairs pairs = TrainingPairs.fromQrels(d.qrels(), d.documents().keySet(), cap, t.seed);
      System.err.println(pairs.size() + " training pairs from " + d.qrels().queryIds().size()
          + " queries of " + d.name());
      Device device = Devices.best();
      FineTuner.Result r;
      try (Interruption stop = Interruption.register("finetune")) {
        r = new FineTuner(c, device).train(Models.load(init, layers), pairs, d.queries(),
            d.documents(), out, stop, -1);
      }
      System.err.printf("%s after %d steps (%.0f tokens/s); %s%n",
          r.interrupted() ? "stopped" : "finished", r.steps(), r.tokensPerSecond(),
          r.interrupted() ? "checkpoint in " + r.model() + ", run again to resume"
              : "model in " + r.model());
      return r.interrupted() ? 130 : 0;
    }
  }

  /** Exports ONNX models. */
  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Export a student as a standard ONNX cross-encoder (inputs input_ids,"
          + " attention_mask, token_type_ids; output logits [batch, 1]): model.onnx and the"
          + " int8 dynamically quantized model.int8.onnx, beside a Hugging Face folder copy.")
  static final class Export implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "minilm or a student folder")
    String model;

    @Option(names = {"-o", "--output"}, required = true, description = "Folder to write")
    Path output;

    @Override
    public Integer call() {
      BertCheckpoint c = Models.load(model, null);
      c.save(output);
      for (boolean int8 : new boolean[] {false, true}) {
        byte[] onnx = BertOnnxExporter.export(c, int8);
        Path f = output.resolve(int8 ? "model.int8.onnx" : "model.onnx");
        AtomicFiles.writeBytes(f, os -> os.write(onnx));
        System.err.printf("wrote %s (%.1f MB)%n", f, onnx.length / 1e6);
      }
      return 0;
    }
  }
}
