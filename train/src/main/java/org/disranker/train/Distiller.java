package org.disranker.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.util.Interruption;
import org.disranker.model.bert.BertCheckpoint;

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

  private final class Task extends BertPairTask<TeacherSignal.Triplet> {
    final TeacherTrainer.Sampler<TeacherSignal.Triplet> sampler;

    Task(BertCheckpoint from, TeacherTrainer.Sampler<TeacherSignal.Triplet> sampler,
        Map<String, Query> queries, Map<String, Document> docs) {
      super(from, device, config.maxLength(), queries, docs);
      this.sampler = sampler;
    }

    @Override
    List<TeacherSignal.Triplet> batch(long step) {
      return sampler.batch(step, config.batch());
    }


    @Override
    NDArray loss(NDArray scores, List<TeacherSignal.Triplet> batch, NDManager sub) {
      float[] teacher = new float[2 * batch.size()];
      for (int i = 0; i < batch.size(); i++) {
        teacher[2 * i] = batch.get(i).tPos();
        teacher[2 * i + 1] = batch.get(i).tNeg();
      }
      return Losses.distill(scores, sub.create(teacher), config.loss(), config.beta());
    }
  }
}
