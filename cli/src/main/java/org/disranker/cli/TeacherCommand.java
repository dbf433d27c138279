package org.disranker.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.disranker.core.clicks.ClickLogs;
import org.disranker.core.clicks.ClickRecord;
import org.disranker.core.clicks.ClickSimulator;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.Lines;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.util.Interruption;
import org.disranker.model.Devices;
import org.disranker.model.llm.DecoderTokenizer;
import org.disranker.model.llm.LlamaCheckpoint;
import org.disranker.serve.BiEncoder;
import org.disranker.serve.EmbeddingStore;
import org.disranker.serve.PairText;
import org.disranker.serve.PoolScorer;
import org.disranker.serve.QueryScorer;
import org.disranker.serve.ScorerSpec;
import org.disranker.train.TeacherSignal;
import org.disranker.train.TeacherConfig;
import org.disranker.train.TeacherTrainer;
import org.disranker.train.TrainLoop;
import org.disranker.train.TrainingPairs;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code disranker teacher}: the decoder LLM ranker, stages 1 to 3 of the paper. */
@Command(name = "teacher", mixinStandardHelpOptions = true,
    description = "The decoder LLM teacher: create, simulate clicks, continued pre-training,"
        + " fine-tuning as a ranker, scoring a pool.",
    subcommands = {TeacherCommand.Init.class, TeacherCommand.Clicks.class,
        TeacherCommand.Cpt.class, TeacherCommand.Sft.class, TeacherCommand.Score.class,
        TeacherCommand.Ensemble.class})
public final class TeacherCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Creates a randomly initialised decoder. */
  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create a Llama-architecture decoder from scratch, sized for CPUs (no"
          + " pretrained LLM can be downloaded here), with the BERT WordPiece vocabulary of"
          + " MiniLM ([CLS] as <s>, [SEP] as </s>).")
  static final class Init implements Callable<Integer> {
    @Option(names = "--size", defaultValue = "small",
        description = "tiny (64 hidden, 2 layers) or small (256 hidden, 4 layers, 8 heads over 4"
            + " key-value heads); default ${DEFAULT-VALUE}")
    String size;

    @Option(names = "--seed", defaultValue = "42") long seed;

    @Option(names = {"-o", "--output"}, required = true) Path output;

    @Override
    public Integer call() {
      LlamaCheckpoint c = LlamaCheckpoint.fromScratch(size, seed);
      c.save(output);
      long params = c.parameters();
      System.err.printf("wrote a %s decoder (%.1fM parameters) to %s%n", size, params / 1e6,
          output);
      return 0;
    }
  }

  /** Simulates a click log. */
  @Command(name = "clicks", mixinStandardHelpOptions = true,
      description = "Simulate a click log with a position-based click model over a dataset's"
          + " first-stage ranking and labels. Use training queries only (e.g. DL19), never the"
          + " test queries.")
  static final class Clicks implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--sessions", defaultValue = "50", description = "Sessions per query")
    int sessions;

    @Option(names = "--top-k", defaultValue = "20", description = "Results a user may examine")
    int topK;

    @Option(names = "--eta", defaultValue = "1.0",
        description = "Examination decay: P(examine rank r) = (1/r)^eta")
    double eta;

    @Option(names = "--click-probs", split = ",", defaultValue = "0.05,0.3,0.7,0.95",
        description = "Click probability by grade 0,1,2,...")
    double[] probs;

    @Option(names = "--seed", defaultValue = "42") long seed;

    @Option(names = {"-o", "--output"}, required = true, description = "JSONL click log")
    Path output;

    @Override
    public Integer call() {
      Dataset d = data.open();
      if (!d.hasFirstStage()) {
        throw new IllegalArgumentException("dataset " + d.name() + " has no first-stage run");
      }
      ClickSimulator sim = new ClickSimulator(eta, probs, topK, sessions, seed);
      List<ClickRecord> log = sim.simulate(d.queries(), d.documents(), d.firstStage(),
          d.qrels(), d.queries().keySet());
      ClickLogs.write(output, log);
      System.err.printf("wrote %d clicked (query, document) records, %d clicks, to %s%n",
          log.size(), log.stream().mapToInt(ClickRecord::count).sum(), output);
      return 0;
    }
  }

  /** Options shared by the two training stages. */
  static final class TrainOptions {
    @Option(names = "--model", required = true, description = "Decoder folder to start from")
    Path model;

    @Option(names = "--out", required = true, description = "Output folder") Path out;

    @Option(names = "--steps", defaultValue = "200") int steps;

    @Option(names = "--batch", defaultValue = "8") int batch;

    @Option(names = "--lr", defaultValue = "1e-3") double lr;

    @Option(names = "--warmup", defaultValue = "0.1") double warmup;

    @Option(names = "--weight-decay", defaultValue = "0.01") double weightDecay;

    @Option(names = "--clip", defaultValue = "1.0") double clip;

    @Option(names = "--max-length", defaultValue = "192") int maxLength;

    @Option(names = "--lora-rank", defaultValue = "0",
        description = "LoRA rank; 0 trains all weights (default)")
    int loraRank;

    @Option(names = "--lora-alpha", defaultValue = "16") double loraAlpha;

    @Option(names = "--lora-targets", split = ",", defaultValue = "q_proj,k_proj,v_proj,o_proj")
    List<String> loraTargets;

    @Option(names = "--seed", defaultValue = "42") long seed;

    @Option(names = "--checkpoint-every", defaultValue = "50") int every;
  }

  /** Continued pre-training. */
  @Command(name = "cpt", mixinStandardHelpOptions = true,
      description = "Continued pre-training on a click log: input the query, target the clicked"
          + " title and summary, loss on the target tokens only; reports held-out perplexity.")
  static final class Cpt implements Callable<Integer> {
    @Mixin TrainOptionsMixin t;

    @Option(names = "--clicks", required = true, description = "JSONL click log") Path clicks;

    @Option(names = "--held-out", defaultValue = "0.1") double heldOut;

    @Option(names = "--record", paramLabel = "FILE",
        description = "Write the held-out perplexities into a section of a Markdown file")
    Path record;

    @Option(names = "--record-name", defaultValue = "cpt") String recordName;

    @Override
    public Integer call() {
      TrainOptions o = t.o;
      TeacherConfig c = new TeacherConfig("cpt", "lm", "last", 0, 0, o.steps, o.batch, o.lr,
          o.warmup, o.weightDecay, o.clip, o.maxLength, o.loraRank, o.loraAlpha, o.loraTargets,
          DecoderTokenizer.DEFAULT_TEMPLATE, 0, 0, heldOut, o.seed, o.every);
      List<ClickRecord> log = ClickLogs.read(clicks);
      try (Interruption stop = Interruption.register("cpt")) {
        TeacherTrainer.CptResult r = new TeacherTrainer(c, Devices.best()).cpt(
            LlamaCheckpoint.load(o.model), log, o.out, stop, -1);
        System.err.printf("%s after %d steps (%.0f tokens/s); held-out perplexity %.2f -> %.2f"
            + " on %d records%n", r.train().interrupted() ? "stopped" : "finished",
            r.train().steps(), r.train().tokensPerSecond(), r.heldOutPerplexityBefore(),
            r.heldOutPerplexityAfter(), r.heldOutRecords());
        if (record != null && !r.train().interrupted()) {
          String table = String.format(java.util.Locale.ROOT, "| click records (train / held"
              + " out) | steps | held-out perplexity before | after |%n|---|---:|---:|---:|%n"
              + "| %d / %d | %d | %.2f | %.2f |%n", r.trainRecords(), r.heldOutRecords(),
              r.train().steps(), r.heldOutPerplexityBefore(), r.heldOutPerplexityAfter());
          org.disranker.core.io.MarkdownBlocks.upsert(record, recordName, "Computed "
              + java.time.LocalDate.now(java.time.ZoneOffset.UTC) + " by:\n\n```\n"
              + Main.commandLine() + "\n```\n\n" + table);
        }
        return r.train().interrupted() ? 130 : 0;
      }
    }
  }

  /** Wraps the shared options for picocli. */
  static final class TrainOptionsMixin {
    @ArgGroup(exclusive = false, multiplicity = "1") TrainOptions o;
  }

  /** Fine-tuning as a ranker. */
  @Command(name = "sft", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Fine-tune the decoder as a ranker on graded labels: input '<s> query :"
          + " title : summary </s>', score = Dense(state of </s>), pairwise margin loss (or the"
          + " RankLLaMA-style listwise loss, or mean pooling).")
  static final class Sft implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Mixin TrainOptionsMixin t;

    @Option(names = "--loss", defaultValue = "margin", description = "margin or listwise")
    String loss;

    @Option(names = "--margin", defaultValue = "0.1") double margin;

    @Option(names = "--negatives", defaultValue = "3",
        description = "Negatives per positive for the listwise loss")
    int negatives;

    @Option(names = "--pooling", defaultValue = "last", description = "last or mean")
    String pooling;

    @Option(names = "--template", defaultValue = DecoderTokenizer.DEFAULT_TEMPLATE)
    String template;

    @Option(names = "--pairs-per-query", defaultValue = "200") int cap;

    @Option(names = "--first-stage-negatives", defaultValue = "20",
        description = "Extra pairs per query against unjudged first-stage documents")
    int fsNegatives;

    @Override
    public Integer call() {
      TrainOptions o = t.o;
      TeacherConfig c = new TeacherConfig("sft", loss, pooling, margin, negatives, o.steps,
          o.batch, o.lr, o.warmup, o.weightDecay, o.clip, o.maxLength, o.loraRank, o.loraAlpha,
          o.loraTargets, template, cap, fsNegatives, 0, o.seed, o.every);
      Dataset d = data.open();
      TrainingPairs pairs = TrainingPairs.fromQrels(d.qrels(), d.documents().keySet(), cap,
          o.seed);
      if (fsNegatives > 0 && d.hasFirstStage()) {
        pairs = pairs.withFirstStageNegatives(d.qrels(), d.firstStage(), d.documents().keySet(),
            fsNegatives, 100);
      }
      System.err.println(pairs.size() + " training pairs from " + d.name());
      try (Interruption stop = Interruption.register("sft")) {
        TrainLoop.Result r = new TeacherTrainer(c, Devices.best()).sft(
            LlamaCheckpoint.load(o.model), pairs, d.queries(), d.documents(), o.out, stop, -1);
        System.err.printf("%s after %d steps (%.0f tokens/s); %s%n",
            r.interrupted() ? "stopped" : "finished", r.steps(), r.tokensPerSecond(), r.model());
        return r.interrupted() ? 130 : 0;
      }
    }
  }

  /** Scores a pool. */
  @Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Score (query, document) pairs with a teacher: a fine-tuned decoder folder"
          + " or a zero-shot bi-encoder (minilm, bge-small, e5-small); the pairs are the top k of"
          + " a first-stage run, the dataset's candidate pool, or a TSV of pairs. Each query is"
          + " scored with the plan 'disranker spark score' uses, so both give the same scores;"
          + " killed and started again, it resumes at the query it was in.")
  static final class Score implements Callable<Integer> {
    @Mixin DatasetOptions data;

    @Option(names = "--model", required = true,
        description = "A decoder folder, or minilm, bge-small or e5-small (a bi-encoder)")
    String model;

    @Option(names = "--pairs", paramLabel = "FILE",
        description = "TSV of 'qid<TAB>docid' pairs to score")
    Path pairsFile;

    @Option(names = "--pool", description = "Score the dataset's whole candidate pool")
    boolean pool;

    @Option(names = {"-k", "--top-k"}, defaultValue = "100",
        description = "Otherwise: the top k of the first-stage run")
    int k;

    @Option(names = "--run", description = "First-stage run (default: the dataset's own)")
    Path run;

    @Option(names = "--pooling",
        description = "Decoder: last (default) or mean; bi-encoder: mean or cls (default: its"
            + " authors')")
    String pooling;

    @Option(names = "--template", defaultValue = DecoderTokenizer.DEFAULT_TEMPLATE)
    String template;

    @Option(names = "--max-length", defaultValue = "192") int maxLength;

    @Option(names = "--batch", defaultValue = "32") int batch;

    @Option(names = "--threads", defaultValue = "0",
        description = "Bi-encoder: ONNX Runtime threads, 0 for one per core")
    int threads;

    @Option(names = {"-o", "--output"}, required = true,
        description = "Scores, .tsv (qid docid score) or .jsonl")
    Path output;

    @Option(names = "--store", paramLabel = "DIR",
        description = "Bi-encoder: keep its vectors in this embedding store (one folder per model"
            + " and length inside), embed only the texts it lacks, and score from it; the"
            + " pipeline keeps its store in RUN/embeddings. Resumes after a kill.")
    Path store;

    @Option(names = "--trec-run", description = "Also write a TREC run when scoring is done")
    Path trecRun;

    @Override
    public Integer call() {
      Dataset d = data.open();
      List<PairText> pairs = new ArrayList<>();
      java.util.function.BiConsumer<String, String> add = (q, docid) -> {
        Document doc = d.documents().get(docid);
        Query query = d.queries().get(q);
        if (doc == null || query == null) {
          throw new IllegalArgumentException("pair " + q + " " + docid + " is not in dataset "
              + d.name());
        }
        pairs.add(new PairText(q, docid, query.text(), doc.title(), doc.body()));
      };
      if (pairsFile != null) {
        Lines.forEach(pairsFile, (n, line) -> {
          String[] f = Lines.fields(line);
          if (f.length == 0) {
            return;
          }
          if (f.length < 2) {
            throw new InputFormatException(pairsFile, n, "expected 'qid<TAB>docid'");
          }
          add.accept(f[0], f[1]);
        });
      } else if (pool) {
        d.pool().forEach((q, l) -> l.forEach(doc -> add.accept(q, doc)));
      } else {
        Run first = run != null ? TrecRuns.read(run, d.queries()::containsKey) : d.firstStage();
        if (first == null) {
          throw new IllegalArgumentException("no first-stage run: give --run, --pool or --pairs");
        }
        for (String q : first.queryIds()) {
          for (ScoredDoc sd : first.top(q, k)) {
            add.accept(q, sd.docid());
          }
        }
      }
      boolean bi = Models.isBiEncoder(model);
      if (store != null) {
        if (!bi) {
          throw new IllegalArgumentException("--store keeps bi-encoder vectors; " + model
              + " is not a bi-encoder");
        }
        return scoreFromStore(pairs);
      }
      ScorerSpec spec = bi ? new ScorerSpec("biencoder", model, "", maxLength, batch, threads,
          pooling == null ? "" : pooling, "")
          : ScorerSpec.teacher(model, maxLength, batch, pooling == null ? "last" : pooling,
              template);
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("spec", spec.toString());
      PoolScorer.Result r;
      try (QueryScorer scorer = spec.open();
          Interruption stop = Interruption.register("score")) {
        r = PoolScorer.score(PoolScorer.byQuery(pairs), scorer, output, info, stop, -1);
      }
      System.err.printf("%s: %d of %d pairs scored (%d kept from before), %.1f pairs/s%n",
          r.interrupted() ? "stopped" : "done", r.scoredNow() + r.resumedFrom(), r.pairs(),
          r.resumedFrom(), r.pairsPerSecond());
      if (r.interrupted()) {
        return 130;
      }
      if (trecRun != null) {
        TrecRuns.write(trecRun, TeacherSignal.fromScoreFile(output).toRun("teacher"), "teacher");
      }
      return 0;
    }

    private int scoreFromStore(List<PairText> pairs) {
      BiEncoder.Spec spec = BiEncoder.Spec.named(model);
      if (pooling != null) {
        spec = spec.withPooling(BiEncoder.Pooling.valueOf(pooling.toUpperCase(
            java.util.Locale.ROOT)));
      }
      List<List<PairText>> byQuery = PoolScorer.byQuery(pairs);
      long t0 = System.nanoTime();
      try (EmbeddingStore st = EmbeddingStore.open(store, new BiEncoder(spec, maxLength,
          threads)); Interruption stop = Interruption.register("score")) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("model", spec.name());
        info.put("maxLength", maxLength);
        info.put("store", st.dir().toString());
        EmbeddingStore.PoolResult r = st.scorePool(byQuery, output, info, stop,
            model + " texts");
        if (r.scored() == null) {
          System.err.printf("stopped: %d texts embedded into %s; run again to go on%n",
              r.embeddedNow(), st.dir());
          return 130;
        }
        System.err.printf("%s: %d pairs, %d distinct texts (%d were in the store, %d embedded"
            + " now), %.1f s%n", r.interrupted() ? "stopped" : "done", r.scored().pairs(),
            r.distinctTexts(), r.distinctTexts() - r.embeddedNow(), r.embeddedNow(),
            (System.nanoTime() - t0) / 1e9);
        if (r.interrupted()) {
          return 130;
        }
      }
      if (trecRun != null) {
        TrecRuns.write(trecRun, TeacherSignal.fromScoreFile(output).toRun("teacher"), "teacher");
      }
      return 0;
    }
  }

  /** Combines teachers into one signal. */
  @Command(name = "ensemble", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Combine teachers (score files or TREC runs) into one: each normalised per"
          + " query, then a weighted mean per pair; a pair a teacher did not score gets its"
          + " lowest score for the query (--missing min) or is left to the others (skip). This"
          + " is the signal 'distill' learns from when given several teachers.")
  static final class Ensemble implements Callable<Integer> {
    @Option(names = "--teacher-scores", paramLabel = "FILE[@WEIGHT]",
        description = "Score file (TSV, JSON lines or a Spark output folder); repeatable")
    List<String> scoreFiles = new ArrayList<>();

    @Option(names = "--teacher-run", paramLabel = "FILE[@WEIGHT]",
        description = "TREC run; repeatable")
    List<String> runFiles = new ArrayList<>();

    @Option(names = "--rank-map", defaultValue = "score",
        description = "For runs: score, linear or reciprocal (default ${DEFAULT-VALUE})")
    String rankMap;

    @Option(names = "--normalize", defaultValue = "zscore",
        description = "Before combining: none, zscore or minmax per query, or global (default"
            + " ${DEFAULT-VALUE})")
    String normalize;

    @Option(names = "--missing", defaultValue = "min",
        description = "min or skip (default ${DEFAULT-VALUE})")
    String missing;

    @Option(names = {"-o", "--output"}, required = true,
        description = "Scores (.tsv) or, ending in .run or .txt, a TREC run")
    Path output;

    @Override
    public Integer call() {
      TeacherSignal s = DistillCommand.teacher(scoreFiles, runFiles, rankMap, normalize,
          missing);
      String name = output.getFileName().toString();
      if (name.endsWith(".run") || name.endsWith(".txt")) {
        TrecRuns.write(output, s.toRun("ensemble"), "ensemble");
      } else {
        s.write(output);
      }
      System.err.println("wrote " + s.scores().size() + " queries to " + output);
      return 0;
    }
  }
}
