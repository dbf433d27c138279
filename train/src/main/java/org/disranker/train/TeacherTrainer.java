package org.disranker.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.disranker.core.clicks.ClickRecord;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.util.Interruption;
import org.disranker.model.io.Safetensors;
import org.disranker.model.llm.DecoderBatch;
import org.disranker.model.llm.DecoderTokenizer;
import org.disranker.model.llm.LlamaCheckpoint;
import org.disranker.model.llm.LlamaModel;
import org.disranker.model.llm.LoraConfig;

/**
 * The teacher's training stages on the decoder (DisRanker stages 1 and 2), on the shared {@link
 * TrainLoop}:
 *
 * <ul>
 *   <li>{@link #cpt}: continued pre-training on click logs, input the query and target the clicked
 *       title and summary, next-token loss on the target tokens only; a record clicked n times
 *       appears n times (up to 5) in the training stream; a seeded share is held out and its
 *       perplexity reported before and after.
 *   <li>{@link #sft}: fine-tuning as a ranker, f(q, d) = Dense(state of the final {@code </s>})
 *       with the pairwise margin loss, or the RankLLaMA-style listwise loss, or mean pooling.
 * </ul>
 *
 * With LoRA the base stays frozen; checkpoints keep base and adapters apart (so resuming is
 * exact) and the final model has the adapters merged.
 */
public final class TeacherTrainer {
  static final int MAX_REPEAT = 5;

  private final TeacherConfig config;
  private final Device device;

  public TeacherTrainer(TeacherConfig config, Device device) {
    this.config = config;
    this.device = device;
  }

  /** Perplexity figures of a continued pre-training run. */
  public record CptResult(TrainLoop.Result train, double heldOutPerplexityBefore,
      double heldOutPerplexityAfter, int trainRecords, int heldOutRecords) {}

  /** Splits click records into training and held-out sets, seeded. */
  static List<List<ClickRecord>> split(List<ClickRecord> records, double heldOut, long seed) {
    List<ClickRecord> shuffled = new ArrayList<>(records);
    Collections.shuffle(shuffled, new Random(seed));
    int h = (int) Math.round(records.size() * heldOut);
    return List.of(shuffled.subList(h, shuffled.size()), shuffled.subList(0, h));
  }

  public CptResult cpt(LlamaCheckpoint init, List<ClickRecord> clicks, Path outDir,
      Interruption stop, long stopAfter) {
    List<List<ClickRecord>> parts = split(clicks, config.heldOut(), config.seed());
    List<ClickRecord> stream = new ArrayList<>();
    for (ClickRecord r : parts.get(0)) {
      for (int i = 0; i < Math.min(r.count(), MAX_REPEAT); i++) {
        stream.add(r);
      }
    }
    if (stream.isEmpty()) {
      throw new IllegalArgumentException("no click records to train on");
    }
    Sampler<ClickRecord> sampler = new Sampler<>(stream, config.seed());
    double before = perplexity(init, parts.get(1));
    TrainLoop.Result r = TrainLoop.run("cpt", config, config.schedule(),
        ckpt -> new CptTask(load(init, ckpt), sampler), outDir, stop, stopAfter);
    double after = r.interrupted() ? Double.NaN
        : perplexity(LlamaCheckpoint.load(r.model()), parts.get(1));
    return new CptResult(r, before, after, parts.get(0).size(), parts.get(1).size());
  }

  public TrainLoop.Result sft(LlamaCheckpoint init, TrainingPairs pairs,
      Map<String, Query> queries, Map<String, Document> docs, Path outDir, Interruption stop,
      long stopAfter) {
    return TrainLoop.run("sft", config, config.schedule(),
        ckpt -> new SftTask(load(init, ckpt), pairs, queries, docs), outDir, stop, stopAfter);
  }

  private LoraConfig lora() {
    return config.loraRank() > 0 ? new LoraConfig(config.loraRank(), config.loraAlpha(),
        config.loraTargets(), config.seed()) : null;
  }

  /** The model from the initial checkpoint, or from a training checkpoint with its adapters. */
  private LlamaModel load(LlamaCheckpoint init, Path ckpt) {
    if (ckpt == null) {
      return LlamaModel.create(init, device, lora());
    }
    LlamaModel m = LlamaModel.create(LlamaCheckpoint.load(ckpt), device, lora());
    if (lora() != null) {
      m.loadAdapters(Safetensors.read(ckpt.resolve("adapters.safetensors")));
    }
    return m;
  }

  private DecoderTokenizer tokenizer(LlamaCheckpoint c) {
    if (c.tokenizerJson() == null) {
      throw new IllegalArgumentException("the teacher checkpoint has no tokenizer.json");
    }
    return new DecoderTokenizer(c.tokenizerJson(), c.config().bosTokenId(),
        c.config().eosTokenId(), config.template());
  }

  /** Mean next-token loss on the target tokens of a batch, and the number of target tokens. */
  static NDArray lmLoss(LlamaModel model, DecoderBatch b, NDManager sub) {
    NDArray ids = b.idsArray(sub);
    NDArray hidden = model.hidden(ids, b.maskArray(sub));
    int t = b.length();
    NDArray logits = model.lmLogits(hidden.get(":, 0:" + (t - 1) + ", :"));
    NDArray logp = logits.logSoftmax(-1);
    NDArray next = ids.get(":, 1:").expandDims(-1);
    NDArray picked = logp.gather(next, 2).squeeze(-1);
    NDArray lm = b.labelsArray(sub).get(":, 1:").toType(DataType.FLOAT32, false);
    return picked.mul(lm).sum().neg().div(lm.sum().maximum(1f));
  }

  static String target(ClickRecord r) {
    return r.title().isBlank() ? r.summary() : r.title() + " " + r.summary();
  }

  /** exp(mean target-token negative log-likelihood) of records; NaN without records. */
  public double perplexity(LlamaCheckpoint ckpt, List<ClickRecord> records) {
    if (records.isEmpty()) {
      return Double.NaN;
    }
    double nll = 0;
    long count = 0;
    try (LlamaModel m = LlamaModel.create(ckpt, device, null);
        DecoderTokenizer tok = tokenizer(ckpt)) {
      for (int s = 0; s < records.size(); s += config.batch()) {
        List<long[]> seqs = new ArrayList<>();
        List<boolean[]> labels = new ArrayList<>();
        for (ClickRecord r : records.subList(s, Math.min(records.size(), s + config.batch()))) {
          DecoderTokenizer.Encoded e = tok.cptExample(r.query(), target(r), config.maxLength());
          seqs.add(e.ids());
          labels.add(e.labels());
        }
        DecoderBatch b = DecoderBatch.of(seqs, labels, ckpt.config().padTokenId());
        long n = 0;
        for (int i = 0; i < b.size(); i++) {
          for (int j = 1; j < b.length(); j++) {
            n += b.labels()[i * b.length() + j];
          }
        }
        try (NDManager sub = m.manager().newSubManager()) {
          nll += lmLoss(m, b, sub).getFloat() * n;
        }
        count += n;
      }
    }
    return Math.exp(nll / Math.max(count, 1));
  }

  /** Seeded epoch-by-epoch order of items: batch k depends on (seed, k) only. */
  static final class Sampler<T> {
    final List<T> items;
    final long seed;
    long cachedEpoch = -1;
    List<T> order;

    Sampler(List<T> items, long seed) {
      this.items = List.copyOf(items);
      this.seed = seed;
    }

    List<T> batch(long step, int size) {
      List<T> out = new ArrayList<>(size);
      for (long k = step * size; k < (step + 1) * size; k++) {
        long epoch = k / items.size();
        if (epoch != cachedEpoch) {
          order = new ArrayList<>(items);
          Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
          cachedEpoch = epoch;
        }
        out.add(order.get((int) (k % items.size())));
      }
      return out;
    }
  }

  private abstract class DecoderTask implements TrainLoop.Task {
    final LlamaModel model;
    final DecoderTokenizer tok;

    DecoderTask(LlamaModel model) {
      this.model = model;
      this.tok = tokenizer(model.toCheckpoint(false));
    }

    @Override
    public Map<String, NDArray> trainable() {
      return model.trainable();
    }

    @Override
    public void saveCheckpoint(Path dir) {
      model.toCheckpoint(false).save(dir);
      if (lora() != null) {
        Safetensors.write(dir.resolve("adapters.safetensors"), model.adapters(), Map.of());
      }
    }

    @Override
    public void saveFinal(Path dir) {
      model.toCheckpoint(true).save(dir);
    }

    @Override
    public void close() {
      tok.close();
      model.close();
    }
  }

  private final class CptTask extends DecoderTask {
    final Sampler<ClickRecord> sampler;

    CptTask(LlamaModel model, Sampler<ClickRecord> sampler) {
      super(model);
      this.sampler = sampler;
    }

    @Override
    public TrainLoop.Step forward(long step, NDManager sub) {
      List<long[]> seqs = new ArrayList<>();
      List<boolean[]> labels = new ArrayList<>();
      for (ClickRecord r : sampler.batch(step, config.batch())) {
        DecoderTokenizer.Encoded e = tok.cptExample(r.query(), target(r), config.maxLength());
        seqs.add(e.ids());
        labels.add(e.labels());
      }
      DecoderBatch b = DecoderBatch.of(seqs, labels, model.config().padTokenId());
      return new TrainLoop.Step(lmLoss(model, b, sub), b.tokens());
    }
  }

  private final class SftTask extends DecoderTask {
    final TrainingPairs pairs;
    final Map<String, Query> queries;
    final Map<String, Document> docs;

    SftTask(LlamaModel model, TrainingPairs pairs, Map<String, Query> queries,
        Map<String, Document> docs) {
      super(model);
      this.pairs = pairs;
      this.queries = queries;
      this.docs = docs;
    }

    @Override
    public TrainLoop.Step forward(long step, NDManager sub) {
      List<TrainingPairs.Pair> batch = pairs.batch(step, config.batch());
      boolean listwise = config.loss().equals("listwise");
      int group = listwise ? 1 + Math.max(1, config.negatives()) : 2;
      List<long[]> seqs = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        TrainingPairs.Pair p = batch.get(i);
        List<String> ds = listwise ? pairs.group(p, group - 2, step, i) : List.of(p.pos(),
            p.neg());
        String q = queries.get(p.qid()).text();
        for (String d : ds) {
          Document doc = docs.get(d);
          seqs.add(tok.rankInput(q, doc.title(), doc.body(), config.maxLength()));
        }
      }
      DecoderBatch b = DecoderBatch.of(seqs, null, model.config().padTokenId());
      NDArray scores = model.score(b.idsArray(sub), b.maskArray(sub),
          config.pooling().equals("mean"));
      NDArray loss = listwise ? Losses.listwiseSoftmax(scores, group)
          : Losses.pairwiseMargin(scores, config.margin());
      return new TrainLoop.Step(loss, b.tokens());
    }
  }
}
