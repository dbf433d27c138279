package org.disranker.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.disranker.core.data.Document;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.FileTrees;
import org.disranker.core.io.MarkdownBlocks;
import org.disranker.model.Devices;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.bert.DjlScorer;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.onnx.BertOnnxExporter;
import org.disranker.model.tokenize.PairTokenizer;
import org.disranker.serve.OnnxScorer;
import org.disranker.train.FineTuneConfig;
import org.disranker.train.FineTuner;
import org.disranker.train.TrainingPairs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker bench student}: speed and memory of the student, as a command. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks (speed and memory are measured here, never in tests).",
    subcommands = {BenchCommand.Student.class})
public final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Student inference and training speed. */
  @Command(name = "student", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Inference pairs/s of the student on DJL and ONNX Runtime (fp32, int8) at a"
          + " fixed batch and sequence length, built from real query-passage text, and"
          + " fine-tuning tokens/s. Peak memory is the process's resident high-water mark after"
          + " each row (cumulative, in the order measured)."})
  static final class Student implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--model", defaultValue = Models.MINILM,
        description = "minilm or a student folder (default ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--engines", split = ",", defaultValue = "djl,onnx,onnx-int8",
        description = "Engines to time (default ${DEFAULT-VALUE})")
    List<String> engines;

    @Option(names = "--batch", defaultValue = "48", description = "Pairs a batch")
    int batch;

    @Option(names = "--lengths", split = ",", defaultValue = "128,256",
        description = "Sequence lengths (default ${DEFAULT-VALUE})")
    List<Integer> lengths;

    @Option(names = "--iters", defaultValue = "5", description = "Timed batches per row")
    int iters;

    @Option(names = "--train-steps", defaultValue = "10",
        description = "Fine-tuning steps to time (batch 8 pairs, length 256); 0 to skip")
    int trainSteps;

    @Option(names = "--record", paramLabel = "FILE",
        description = "Write the table into a section of this Markdown file")
    Path record;

    @Option(names = "--record-name", defaultValue = "bench-student",
        description = "Section name for --record")
    String recordName;

    @Override
    public Integer call() throws IOException {
      Dataset d = data.open();
      BertCheckpoint ckpt = Models.load(model, null);
      List<String[]> rows = new ArrayList<>();
      int cores = Runtime.getRuntime().availableProcessors();
      for (int len : lengths) {
        Batch b = fixedBatch(d, ckpt, len);
        for (String engine : engines) {
          double secs;
          switch (engine) {
            case "djl" -> {
              try (BertModel m = BertModel.create(ckpt, Devices.best())) {
                secs = time(new DjlScorer(m), b);
              }
            }
            case "onnx", "onnx-int8" -> {
              try (OnnxScorer s = OnnxScorer.load(BertOnnxExporter.export(ckpt,
                  engine.equals("onnx-int8")), cores)) {
                secs = time(s, b);
              }
            }
            default -> throw new IllegalArgumentException("unknown engine " + engine
                + " (djl, onnx, onnx-int8)");
          }
          rows.add(new String[] {engine, Integer.toString(batch), Integer.toString(len),
              fmt(secs * 1000), fmt(batch / secs), peakMb()});
          System.err.printf("%s batch %d x %d: %.0f ms/batch, %.1f pairs/s%n", engine, batch, len,
              secs * 1000, batch / secs);
        }
      }
      String trainRow = "";
      if (trainSteps > 0) {
        Path tmp = Files.createTempDirectory("disranker-bench");
        try {
          FineTuneConfig c = new FineTuneConfig("margin", 0.1, trainSteps, 8, 3e-5, 0.1, 0.01,
              1.0, 256, 200, 3, 42, 0);
          TrainingPairs pairs = TrainingPairs.fromQrels(d.qrels(), d.documents().keySet(), 200,
              42);
          FineTuner.Result r = new FineTuner(c, Devices.best()).train(ckpt, pairs, d.queries(),
              d.documents(), tmp, null, -1);
          trainRow = String.format(Locale.ROOT, "Fine-tuning (margin loss, AdamW, batch 8 pairs,"
              + " max length 256, dynamic padding, %d steps): %.0f tokens/s; peak RSS %s MB.%n",
              trainSteps, r.tokensPerSecond(), peakMb());
          System.err.print(trainRow);
        } finally {
          FileTrees.deleteRecursively(tmp);
        }
      }
      StringBuilder md = new StringBuilder("| engine | batch | tokens | ms/batch | pairs/s |"
          + " peak RSS MB |\n|---|---:|---:|---:|---:|---:|\n");
      for (String[] r : rows) {
        md.append("| ").append(String.join(" | ", r)).append(" |\n");
      }
      System.out.print(md);
      if (record != null) {
        MarkdownBlocks.upsert(record, recordName, "Measured " + LocalDate.now(ZoneOffset.UTC)
            + " on " + machine() + " by:\n\n```\n" + Main.commandLine() + "\n```\n\n" + md
            + (trainRow.isEmpty() ? "" : "\n" + trainRow));
      }
      return 0;
    }

    /** A [batch, len] batch of real pairs, every row exactly len tokens long. */
    Batch fixedBatch(Dataset d, BertCheckpoint ckpt, int len) {
      List<Document> docs = new ArrayList<>(d.documents().values());
      List<String> qs = new ArrayList<>(d.queries().values().stream().map(q -> q.text())
          .toList());
      List<PairTokenizer.Pair> pairs = new ArrayList<>();
      try (PairTokenizer tok = new PairTokenizer(ckpt.tokenizerJson(), len)) {
        int i = 0;
        while (pairs.size() < batch) {
          StringBuilder text = new StringBuilder();
          for (int j = 0; j < 6; j++) {
            text.append(docs.get((i * 6 + j) % docs.size()).text()).append(' ');
          }
          PairTokenizer.Pair p = tok.encode(qs.get(i % qs.size()), text.toString());
          if (p.length() == len) {
            pairs.add(p);
          }
          i++;
        }
      }
      return Batch.of(pairs);
    }

    double time(PairScorer s, Batch b) {
      s.score(b); // warm-up
      long t0 = System.nanoTime();
      for (int i = 0; i < iters; i++) {
        s.score(b);
      }
      return (System.nanoTime() - t0) / 1e9 / iters;
    }

    static String fmt(double v) {
      return String.format(Locale.ROOT, "%.1f", v);
    }

    static String peakMb() {
      try {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (l.startsWith("VmHWM:")) {
            return Long.toString(Long.parseLong(l.replaceAll("\\D", "")) / 1024);
          }
        }
      } catch (IOException | NumberFormatException e) {
        // not Linux: no figure
      }
      return "n/a";
    }

    static String machine() {
      String cpu = "unknown CPU";
      try {
        for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
          if (l.startsWith("model name")) {
            cpu = l.substring(l.indexOf(':') + 1).strip();
            break;
          }
        }
      } catch (IOException e) {
        // keep the default
      }
      return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, device "
          + Devices.best();
    }
  }
}
