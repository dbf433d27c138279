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
 * Distils teacher scores into the BERT student on triplets (q, d+, d−) with the point, margin or
 * hybrid loss, on the shared {@link TrainLoop} (checkpoints, exact resume). Triplet order is a
 * seeded shuffle per epoch, so batch k depends on (seed, k) only.
 */
public final class Distiller {
  private final DistillConfig config;
  private final Device device;

  public Distiller(DistillConfig config, Device device) {
    this.config = config;
    this.device = device;
  }

  public TrainLoop.Result train(BertCheckpoint init, List<TeacherSignal.Triplet> triplets,
      Map<String, Query> queries, Map<String, Document> docs, Path outDir, Interruption stop,
      long stopAfter) {
    TeacherTrainer.Sampler<TeacherSignal.Triplet> sampler =
        new TeacherTrainer.Sampler<>(triplets, config.seed());
    return TrainLoop.run("distill", config, config.schedule(), ckpt -> new Task(ckpt == null
        ? init : BertCheckpoint.load(ckpt), sampler, queries, docs), outDir, stop, stopAfter);
  }

  private final class Task implements TrainLoop.Task {
    final BertModel model;
    final PairTokenizer tok;
    final byte[] tokenizerJson;
    final TeacherTrainer.Sampler<TeacherSignal.Triplet> sampler;
    final Map<String, Query> queries;
    final Map<String, Document> docs;

    Task(BertCheckpoint from, TeacherTrainer.Sampler<TeacherSignal.Triplet> sampler,
        Map<String, Query> queries, Map<String, Document> docs) {
      this.model = BertModel.create(from, device);
      this.tok = new PairTokenizer(from.tokenizerJson(), config.maxLength());
      this.tokenizerJson = from.tokenizerJson();
      this.sampler = sampler;
      this.queries = queries;
      this.docs = docs;
    }

    @Override
    public Map<String, NDArray> trainable() {
      return model.namedParameters();
    }

    @Override
    public TrainLoop.Step forward(long step, NDManager sub) {
      List<TeacherSignal.Triplet> batch = sampler.batch(step, config.batch());
      List<String> qs = new ArrayList<>();
      List<String> ds = new ArrayList<>();
      float[] teacher = new float[2 * batch.size()];
      int i = 0;
      for (TeacherSignal.Triplet t : batch) {
        String q = queries.get(t.qid()).text();
        qs.add(q);
        ds.add(docs.get(t.pos()).text());
        qs.add(q);
        ds.add(docs.get(t.neg()).text());
        teacher[i++] = t.tPos();
        teacher[i++] = t.tNeg();
      }
      Batch b = Batch.of(tok.encodeAll(qs, ds));
      long tokens = 0;
      for (long m : b.mask()) {
        tokens += m;
      }
      NDArray scores = model.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub));
      return new TrainLoop.Step(Losses.distill(scores, sub.create(teacher), config.loss(),
          config.beta()), tokens);
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
