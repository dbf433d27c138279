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
    subcommands = {BenchCommand.Student.class, BenchCommand.Teacher.class,
        BenchCommand.Latency.class, BenchCommand.Serving.class, BenchCommand.Spark.class})
public final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /**
   * Appends the rows to a Markdown table that {@code md} has the header of, prints it, and, with a
   * record file, writes it with the machine, date and command line into a section of that file.
   */
  static void emit(StringBuilder md, List<String[]> rows, String footer, Path record,
      String recordName) {
    for (String[] r : rows) {
      md.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    System.out.print(md);
    if (record != null) {
      MarkdownBlocks.upsert(record, recordName, "Measured " + LocalDate.now(ZoneOffset.UTC)
          + " on " + Student.machine() + " by:\n\n```\n" + Main.commandLine() + "\n```\n\n"
          + md + footer);
    }
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
          FineTuneConfig c = new FineTuneConfig("margin", 0.1, trainSteps, 8, 3e-5, 0, 0.1, 0.01,
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
      emit(md, rows, trainRow.isEmpty() ? "" : "\n" + trainRow, record, recordName);
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

  /** Teacher training and scoring speed. */
  @Command(name = "teacher", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Continued pre-training and fine-tuning tokens/s and scoring pairs/s of a"
          + " decoder teacher on a dataset (clicks simulated over its queries, its labels, its"
          + " first-stage top 100), with the process's peak resident memory after each row."})
  static final class Teacher implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--size", defaultValue = "small", description = "tiny or small")
    String size;

    @Option(names = "--steps", defaultValue = "10", description = "Training steps per stage")
    int steps;

    @Option(names = "--batch", defaultValue = "8") int batch;

    @Option(names = "--max-length", defaultValue = "192") int maxLength;

    @Option(names = "--score-pairs", defaultValue = "960", description = "Pairs to score")
    int scorePairs;

    @Option(names = "--record", paramLabel = "FILE") Path record;

    @Option(names = "--record-name", defaultValue = "bench-teacher") String recordName;

    @Override
    public Integer call() throws IOException {
      Dataset d = data.open();
      var init = org.disranker.model.llm.LlamaCheckpoint.fromScratch(size, 42);
      byte[] tok = init.tokenizerJson();
      long params = init.parameters();
      List<String[]> rows = new ArrayList<>();
      Path tmp = Files.createTempDirectory("disranker-bench");
      try {
        var clicks = org.disranker.core.clicks.ClickSimulator.defaults(42).simulate(d.queries(),
            d.documents(), d.firstStage(), d.qrels(), d.queries().keySet());
        for (String stage : new String[] {"cpt", "sft"}) {
          var c = new org.disranker.train.TeacherConfig(stage, stage.equals("cpt") ? "lm"
              : "margin", "last", 0.1, 0, steps, batch, 1e-3, 0.1, 0.01, 1.0, maxLength, 0, 16,
              List.of("q_proj"), org.disranker.model.llm.DecoderTokenizer.DEFAULT_TEMPLATE, 200,
              0, 0.0, 42, 0);
          var t = new org.disranker.train.TeacherTrainer(c, Devices.best());
          double tps;
          if (stage.equals("cpt")) {
            tps = t.cpt(init, clicks, tmp.resolve(stage), null, -1).train().tokensPerSecond();
          } else {
            var pairs = TrainingPairs.fromQrels(d.qrels(), d.documents().keySet(), 200, 42);
            tps = t.sft(init, pairs, d.queries(), d.documents(), tmp.resolve(stage), null, -1)
                .tokensPerSecond();
          }
          rows.add(new String[] {stage.equals("cpt") ? "continued pre-training" : "fine-tuning"
              + " (margin loss)", String.format(Locale.ROOT, "%.0f tokens/s", tps), peakMb()});
          System.err.printf("%s: %.0f tokens/s%n", stage, tps);
        }
        List<String> qs = new ArrayList<>();
        List<long[]> inputs = new ArrayList<>();
        try (var dt = new org.disranker.model.llm.DecoderTokenizer(tok, 101, 102, null)) {
          outer:
          for (String q : d.firstStage().queryIds()) {
            for (var sd : d.firstStage().ordered(q, org.disranker.core.data.Run.Order.SCORE)) {
              Document doc = d.documents().get(sd.docid());
              inputs.add(dt.rankInput(d.queries().get(q).text(), doc.title(), doc.body(),
                  maxLength));
              qs.add(q);
              if (inputs.size() >= scorePairs) {
                break outer;
              }
            }
          }
        }
        long t0 = System.nanoTime();
        try (var m = org.disranker.model.llm.LlamaModel.create(init, Devices.best(), null)) {
          List<Integer> order = new ArrayList<>();
          for (int i = 0; i < inputs.size(); i++) {
            order.add(i);
          }
          order.sort(java.util.Comparator.comparingInt(i -> inputs.get(i).length));
          for (int s = 0; s < order.size(); s += 32) {
            List<long[]> seqs = new ArrayList<>();
            order.subList(s, Math.min(order.size(), s + 32)).forEach(i -> seqs.add(inputs.get(i)));
            var b = org.disranker.model.llm.DecoderBatch.of(seqs, null, 0);
            try (var sub = m.manager().newSubManager()) {
              m.score(b.idsArray(sub), b.maskArray(sub), false).toFloatArray();
            }
          }
        }
        double pps = inputs.size() / ((System.nanoTime() - t0) / 1e9);
        rows.add(new String[] {"scoring (batch 32, length-sorted)", String.format(Locale.ROOT,
            "%.1f pairs/s", pps), peakMb()});
        System.err.printf("scoring: %.1f pairs/s%n", pps);
      } finally {
        FileTrees.deleteRecursively(tmp);
      }
      StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Decoder: %s preset,"
          + " %.1fM parameters; batch %d, max length %d, %d steps per training row.%n%n",
          size, params / 1e6, batch, maxLength, steps));
      md.append("| stage | speed | peak RSS MB |\n|---|---:|---:|\n");
      emit(md, rows, "", record, recordName);
      return 0;
    }

    static String peakMb() {
      return Student.peakMb();
    }
  }

  /** The paper's Table 5 on this CPU. */
  @Command(name = "latency", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Latency of one batch (default 48 pairs x 256 tokens, real DL19 text) for"
          + " the decoder teacher (small preset, DJL), a 12-layer BERT (bge-small-en-v1.5) and"
          + " the 6-layer student (all-MiniLM-L6-v2), on DJL and ONNX Runtime fp32 and int8:"
          + " the paper's Table 5."})
  static final class Latency implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--batch", defaultValue = "48") int batch;

    @Option(names = "--length", defaultValue = "256") int length;

    @Option(names = "--iters", defaultValue = "3") int iters;

    @Option(names = "--record", paramLabel = "FILE") Path record;

    @Option(names = "--record-name", defaultValue = "latency") String recordName;

    @Override
    public Integer call() throws IOException {
      Dataset d = data.open();
      Student helper = new Student();
      helper.batch = batch;
      helper.iters = iters;
      List<String[]> rows = new ArrayList<>();
      int cores = Runtime.getRuntime().availableProcessors();
      // teacher: the small decoder on DJL
      var teacher = org.disranker.model.llm.LlamaCheckpoint.fromScratch("small", 42);
      Batch bertShape = helper.fixedBatch(d, BertCheckpoint.random(
          new org.disranker.model.bert.BertConfig(30522, 8, 1, 1, 8, 512, 2, 1e-12), 1,
          BertCheckpoint.minilmTokenizer()), length);
      long[] mask = new long[batch * length];
      java.util.Arrays.fill(mask, 1);
      try (var m = org.disranker.model.llm.LlamaModel.create(teacher, Devices.best(), null)) {
        double secs = time(() -> {
          try (var sub = m.manager().newSubManager()) {
            m.score(sub.create(bertShape.ids(), new ai.djl.ndarray.types.Shape(batch, length)),
                sub.create(mask, new ai.djl.ndarray.types.Shape(batch, length)), false)
                .toFloatArray();
          }
        });
        long params = teacher.parameters();
        rows.add(row(String.format(Locale.ROOT, "teacher: decoder, small preset (%.0fM)",
            params / 1e6), "DJL fp32", secs));
      }
      for (String[] spec : new String[][] {{"BERT-12: bge-small-en-v1.5", "bge-small"},
          {"BERT-6: all-MiniLM-L6-v2 (student)", "minilm"}}) {
        BertCheckpoint c = BertCheckpoint.pretrained(spec[1]);
        Batch b = helper.fixedBatch(d, c, length);
        try (BertModel m = BertModel.create(c, Devices.best())) {
          DjlScorer s = new DjlScorer(m);
          rows.add(row(spec[0], "DJL fp32", time(() -> s.score(b))));
        }
        for (boolean int8 : new boolean[] {false, true}) {
          try (OnnxScorer s = OnnxScorer.load(BertOnnxExporter.export(c, int8), cores)) {
            rows.add(row(spec[0], int8 ? "ONNX Runtime int8" : "ONNX Runtime fp32",
                time(() -> s.score(b))));
          }
        }
        System.err.println("timed " + spec[0]);
      }
      StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Batch %d x %d tokens,"
          + " mean of %d batches after one warm-up.%n%n| model | engine | ms/batch |"
          + " pairs/s |%n|---|---|---:|---:|%n", batch, length, iters));
      emit(md, rows, "", record, recordName);
      return 0;
    }

    String[] row(String model, String engine, double secs) {
      return new String[] {model, engine, Student.fmt(secs * 1000), Student.fmt(batch / secs)};
    }

    double time(Runnable r) {
      r.run();
      long t0 = System.nanoTime();
      for (int i = 0; i < iters; i++) {
        r.run();
      }
      return (System.nanoTime() - t0) / 1e9 / iters;
    }
  }

  /** The DL20 rerank workload against a plain ONNX Runtime session. */
  @Command(name = "serving", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Throughput and nDCG@10 on a rerank workload (a dataset's first-stage top"
          + " k): a plain ONNX Runtime session (fp32, batches in input order padded to the"
          + " maximum length) against this project's scorer (length-sorted batches, dynamic"
          + " padding), fp32 and int8."})
  static final class Serving implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--model", required = true, description = "Exported student folder"
        + " (model.onnx, model.int8.onnx, tokenizer.json)")
    Path model;

    @Option(names = {"-k", "--top-k"}, defaultValue = "100") int k;

    @Option(names = "--batch", defaultValue = "48") int batch;

    @Option(names = "--max-length", defaultValue = "256") int maxLength;

    @Option(names = "--record", paramLabel = "FILE") Path record;

    @Option(names = "--record-name", defaultValue = "serving-workload") String recordName;

    @Option(names = "--variants", split = ",", defaultValue = "plain,fp32,int8",
        description = "Setups to time: plain (fp32 in input order, padded to --max-length),"
            + " fp32, int8 (default ${DEFAULT-VALUE})")
    List<String> variants;

    @Override
    public Integer call() {
      for (String v : variants) {
        if (!List.of("plain", "fp32", "int8").contains(v)) {
          throw new IllegalArgumentException("--variants: unknown setup '" + v
              + "' (plain, fp32, int8)");
        }
      }
      Dataset d = data.open();
      BertCheckpoint c = BertCheckpoint.load(model);
      var pairs = org.disranker.core.data.TopK.of(d.firstStage(), k, d.queries(),
          d.documents());
      List<String> qs = pairs.queries();
      List<String> ds = pairs.documents();
      int cores = Runtime.getRuntime().availableProcessors();
      List<String[]> rows = new ArrayList<>();
      double plainRate = 0;
      double plainNdcg = 0;
      for (String variant : variants) {
        Path onnx = model.resolve(variant.equals("int8") ? "model.int8.onnx" : "model.onnx");
        float[] scores;
        long t0 = System.nanoTime();
        try (OnnxScorer s = OnnxScorer.load(onnx, cores);
            PairTokenizer tok = new PairTokenizer(c.tokenizerJson(), maxLength)) {
          if (variant.equals("plain")) {
            var enc = tok.encodeAll(qs, ds);
            scores = new float[enc.size()];
            try (var p = org.disranker.core.util.Progress.start("plain", enc.size())) {
              for (int i = 0; i < enc.size(); i += batch) {
                var chunk = enc.subList(i, Math.min(enc.size(), i + batch));
                float[] sc = s.score(Batch.padded(chunk, maxLength));
                System.arraycopy(sc, 0, scores, i, sc.length);
                p.step(chunk.size());
              }
            }
          } else {
            scores = PairScorer.scoreAll(s, tok, qs, ds, batch, variant);
          }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double ndcg = new org.disranker.core.metrics.Evaluator(
            org.disranker.core.metrics.Metrics.parse("ndcg@10",
                org.disranker.core.metrics.Ndcg.Gain.LINEAR, 1),
            org.disranker.core.data.Run.Order.SCORE, false)
            .evaluate(d.qrels(), pairs.toRun(scores, variant))
            .value("ndcg@10");
        double rate = scores.length / secs;
        if (variant.equals("plain")) {
          plainRate = rate;
          plainNdcg = ndcg;
        }
        rows.add(new String[] {variant.equals("plain") ? "plain session: fp32, input order,"
            + " padded to " + maxLength : "this scorer: " + variant + ", length-sorted, dynamic"
            + " padding", Student.fmt(rate), plainRate > 0 ? String.format(Locale.ROOT, "%.2fx",
            rate / plainRate) : "n/a",
            String.format(Locale.ROOT, "%.4f", ndcg), plainRate > 0 ? String.format(Locale.ROOT,
            "%+.4f", ndcg - plainNdcg) : "n/a"});
        System.err.printf("%s: %.1f pairs/s, nDCG@10 %.4f%n", variant, rate, ndcg);
      }
      StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%d pairs (%s, top %d of"
          + " the first stage), batch %d, %d ONNX Runtime threads.%n%n| setup | pairs/s |"
          + " speed-up | nDCG@10 | change |%n|---|---:|---:|---:|---:|%n", pairs.size(), d.name(),
          k, batch, cores));
      emit(md, rows, "", record, recordName);
      return 0;
    }
  }

  /** The Spark pool-scoring job in local mode, and what the paper's pool would cost. */
  @Command(name = "spark", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Pairs/s of the Spark scoring job (disranker spark score) in local mode on"
          + " 1..N cores, for the student (ONNX Runtime int8, one thread per task) and the"
          + " teacher (DJL, one forward pass at a time per executor), and a cost model for the"
          + " paper's pool of 46.8M pairs from the measured pairs/s per core."})
  static final class Spark implements Callable<Integer> {
    @Option(names = "--pool", required = true, description = "Pool, JSON lines (disranker"
        + " data pairs)")
    Path pool;

    @Option(names = "--student", required = true, description = "Exported student folder")
    Path student;

    @Option(names = "--onnx", defaultValue = "model.int8.onnx") String onnx;

    @Option(names = "--teacher", defaultValue = "small", description = "Teacher folder, or"
        + " 'small': a freshly initialised decoder of the pipeline's size (speed does not depend"
        + " on the weights)")
    String teacher;

    @Option(names = "--cores", split = ",", defaultValue = "1,2") int[] cores;

    @Option(names = "--batch", defaultValue = "32") int batch;

    @Option(names = "--pool-size", defaultValue = "46800000",
        description = "Pairs of the pool to cost; default: the paper's 46.8M")
    long poolSize;

    @Option(names = "--record", paramLabel = "FILE") Path record;

    @Option(names = "--record-name", defaultValue = "spark-scoring") String recordName;

    @Override
    public Integer call() throws IOException {
      Path tmp = Files.createTempDirectory("disranker-bench-spark");
      try {
        Path teacherDir = Path.of(teacher);
        if (teacher.equals("small")) {
          teacherDir = tmp.resolve("teacher");
          org.disranker.model.llm.LlamaCheckpoint.fromScratch("small", 42).save(teacherDir);
        }
        long params = org.disranker.model.llm.LlamaCheckpoint.load(teacherDir).parameters();
        List<String[]> rows = new ArrayList<>();
        StringBuilder cost = new StringBuilder();
        long pairs = 0;
        for (String kind : new String[] {"student", "teacher"}) {
          org.disranker.serve.ScorerSpec spec = kind.equals("student")
              ? org.disranker.serve.ScorerSpec.student(student.toString(), onnx, 256, batch, 1)
              : org.disranker.serve.ScorerSpec.teacher(teacherDir.toString(), 192, batch,
                  "last", org.disranker.model.llm.DecoderTokenizer.DEFAULT_TEMPLATE);
          double perCore = 0;
          for (int c : cores) {
            org.apache.spark.sql.SparkSession s = org.apache.spark.sql.SparkSession.builder()
                .master("local[" + c + "]").appName("bench").config("spark.ui.enabled", "false")
                .getOrCreate();
            try {
              // warm-up: the executor opens the model once, as on a cluster
              org.disranker.spark.ExecutorModels.get(spec);
              var r = org.disranker.spark.PoolScoringJob.run(s, spec,
                  new org.disranker.spark.PoolScoringJob.Options(pool.toString(), "json",
                      tmp.resolve(kind + "-" + c).toString(), "parquet", 2 * c, false, false));
              pairs = r.pairs();
              double rate = r.pairs() / r.seconds();
              // the teacher's PyTorch uses every core of the machine whatever the master says
              int used = kind.equals("teacher") ? Runtime.getRuntime().availableProcessors() : c;
              perCore = rate / used; // the last (most cores) row costs the pool
              rows.add(new String[] {kind.equals("student") ? "student (" + onnx + ")"
                  : String.format(Locale.ROOT, "teacher (%.1fM-parameter decoder)", params / 1e6),
                  "local[" + c + "]", Student.fmt(r.seconds()), Student.fmt(rate),
                  Student.fmt(rate / used)});
              System.err.printf("%s local[%d]: %d pairs in %.1f s, %.1f pairs/s%n", kind, c,
                  r.pairs(), r.seconds(), rate);
            } finally {
              s.stop();
            }
          }
          double coreHours = poolSize / perCore / 3600;
          cost.append(String.format(Locale.ROOT, "- %s: %.1f pairs/s per core -> %,.0f"
              + " core-hours for %,d pairs; on 100 executor cores %.1f hours.%n", kind,
              perCore, coreHours, poolSize, coreHours / 100));
          if (kind.equals("teacher")) {
            double scale = 7e9 / params;
            cost.append(String.format(Locale.ROOT, "- a 7B teacher (the paper's size) does"
                + " about %.0fx the work per pair of this %.1fM decoder (forward FLOPs ~ 2 x"
                + " parameters x tokens): about %,.0f CPU core-hours, which is why the paper"
                + " scores on GPUs; an extrapolation, not a measurement.%n", scale, params / 1e6,
                coreHours * scale));
          }
        }
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%d pairs (%s), batch %d,"
            + " 2 partitions per core; seconds include reading, the shuffle by query, writing"
            + " Parquet and the exactly-once check. The student runs one ONNX Runtime thread per"
            + " task; the teacher's PyTorch uses all %d cores in every row, so its pairs/s per"
            + " core divides by %d.%n%n| scorer | master | seconds | pairs/s |"
            + " pairs/s per core |%n|---|---|---:|---:|---:|%n", pairs, pool.getFileName(),
            batch, Runtime.getRuntime().availableProcessors(),
            Runtime.getRuntime().availableProcessors()));
        emit(md, rows, "\nCost model (pairs/s per core of the last row of each scorer):\n\n" + cost,
            record, recordName);
        return 0;
      } finally {
        FileTrees.deleteRecursively(tmp);
      }
    }
  }
}
