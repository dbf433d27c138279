package org.disranker.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.util.Interruption;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * Fine-tunes a BERT cross-encoder on graded labels (the paper's "BERT fine-tuned" baseline) with
 * the shared {@link TrainLoop}: each step scores a batch of labelled pairs (dynamic padding) and
 * takes the margin loss max(0, T − (s+ − s−)) or the pointwise squared error against grade /
 * maxGrade. Output layout, checkpoints and resume as in {@link TrainLoop}.
 */
public final class FineTuner {
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
   * early when {@code stop} is requested or after {@code stopAfter} steps of this call (negative:
   * no limit).
   */
  public Result train(BertCheckpoint init, TrainingPairs pairs, Map<String, Query> queries,
      Map<String, Document> docs, Path outDir, Interruption stop, long stopAfter) {
    TrainLoop.Result r = TrainLoop.run("fine-tune", config, config.schedule(),
        ckpt -> new Task(ckpt == null ? init : BertCheckpoint.load(ckpt), pairs, queries, docs),
        outDir, stop, stopAfter);
    return new Result(r.model(), r.steps(), r.interrupted(), r.losses(), r.tokensPerSecond());
  }

  private final class Task implements TrainLoop.Task {
    final BertModel model;
    final PairTokenizer tok;
    final byte[] tokenizerJson;
    final TrainingPairs pairs;
    final Map<String, Query> queries;
    final Map<String, Document> docs;

    Task(BertCheckpoint from, TrainingPairs pairs, Map<String, Query> queries,
        Map<String, Document> docs) {
      this.model = BertModel.create(from, device);
      this.tok = new PairTokenizer(from.tokenizerJson(), config.maxLength());
      this.tokenizerJson = from.tokenizerJson();
      this.pairs = pairs;
      this.queries = queries;
      this.docs = docs;
    }

    @Override
    public Map<String, NDArray> trainable() {
      return model.namedParameters();
    }

    @Override
    public TrainLoop.Step forward(long step, NDManager sub) {
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
      long tokens = 0;
      for (long m : b.mask()) {
        tokens += m;
      }
      NDArray scores = model.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub));
      NDArray loss = config.loss().equals("pointwise")
          ? Losses.pointwise(scores, sub.create(targets))
          : Losses.pairwiseMargin(scores, config.margin());
      return new TrainLoop.Step(loss, tokens);
    }

    @Override
    public void saveCheckpoint(Path dir) {
      model.toCheckpoint(tokenizerJson).save(dir);
    }

    @Override
    public void saveFinal(Path dir) {
      model.toCheckpoint(tokenizerJson).save(dir);
    }

    @Override
    public void close() {
      tok.close();
      model.close();
    }
  }
}
