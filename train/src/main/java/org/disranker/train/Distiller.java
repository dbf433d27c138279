package org.disranker.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.util.Interruption;
import org.disranker.model.bert.BertCheckpoint;

/**
 * Distils teacher scores into the BERT student with the point, margin or hybrid loss, on the
 * shared {@link TrainLoop} (checkpoints, exact resume). Each step takes {@code queries} queries
 * and {@code group} of each one's teacher-scored documents, drawn at random; the loss averages
 * over every triplet (q, d+, d−) the teacher orders within a group ({@link
 * Losses#distillGroups}). The query order is a seeded shuffle per epoch and the documents of a
 * query are drawn from (seed, epoch, query), so step k depends on (seed, k) only.
 */
public final class Distiller {
  private final DistillConfig config;
  private final Device device;

  public Distiller(DistillConfig config, Device device) {
    this.config = config;
    this.device = device;
  }

  /** One query and the documents a step scores for it, with the teacher's scores. */
  record Sample(String qid, List<String> docids, float[] teacher) implements BertPairTask.Item {}

  /** The items of step {@code step}: queries in a seeded order per epoch, documents drawn. */
  static List<Sample> batch(List<TeacherSignal.Group> groups, long seed, long step, int queries,
      int group) {
    List<Sample> out = new ArrayList<>(queries);
    int n = groups.size();
    for (long k = step * queries; k < (step + 1) * queries; k++) {
      long epoch = k / n;
      List<Integer> order = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        order.add(i);
      }
      Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
      int gi = order.get((int) (k % n));
      TeacherSignal.Group g = groups.get(gi);
      List<Integer> idx = new ArrayList<>(g.size());
      for (int i = 0; i < g.size(); i++) {
        idx.add(i);
      }
      Collections.shuffle(idx, new Random((seed * 31 + epoch) * 1_000_003L + gi));
      List<String> docs = new ArrayList<>(group);
      float[] t = new float[group];
      for (int j = 0; j < group; j++) {
        docs.add(g.docids().get(idx.get(j)));
        t[j] = g.scores()[idx.get(j)];
      }
      out.add(new Sample(g.qid(), docs, t));
    }
    return out;
  }

  /**
   * Trains from {@code init} (or the checkpoint in {@code outDir}) on the groups, each of at least
   * {@code group} documents.
   */
  public TrainLoop.Result train(BertCheckpoint init, List<TeacherSignal.Group> groups,
      Map<String, Query> queries, Map<String, Document> docs, Path outDir, Interruption stop,
      long stopAfter) {
    return train(init, groups, queries, docs, null, outDir, stop, stopAfter);
  }

  /** As above, validating on {@code validation} (null: not at all) as training goes. */
  public TrainLoop.Result train(BertCheckpoint init, List<TeacherSignal.Group> groups,
      Map<String, Query> queries, Map<String, Document> docs, Validation validation,
      Path outDir, Interruption stop, long stopAfter) {
    for (TeacherSignal.Group g : groups) {
      if (g.size() < config.group()) {
        throw new IllegalArgumentException("query " + g.qid() + " has " + g.size()
            + " teacher-scored documents, fewer than the group size " + config.group());
      }
    }
    List<TeacherSignal.Group> fixed = List.copyOf(groups);
    return TrainLoop.run("distill", config, config.schedule(), ckpt -> {
      Task t = new Task(ckpt == null ? init : BertCheckpoint.load(ckpt), fixed, queries, docs);
      t.validation(validation);
      return t;
    }, outDir, stop, stopAfter);
  }

  private final class Task extends BertPairTask<Sample> {
    final List<TeacherSignal.Group> groups;

    Task(BertCheckpoint from, List<TeacherSignal.Group> groups, Map<String, Query> queries,
        Map<String, Document> docs) {
      super(from, device, config.maxLength(), queries, docs);
      this.groups = groups;
      headLearningRate(config.learningRate(), config.headLearningRate());
      freeze(config.freeze());
      dropout(config.dropout(), config.seed());
    }

    @Override
    List<Sample> batch(long step) {
      return Distiller.batch(groups, config.seed(), step, config.queries(), config.group());
    }

    @Override
    NDArray loss(NDArray scores, List<Sample> batch, NDManager sub) {
      float[] teacher = new float[batch.size() * config.group()];
      for (int i = 0; i < batch.size(); i++) {
        System.arraycopy(batch.get(i).teacher(), 0, teacher, i * config.group(),
            config.group());
      }
      return Losses.distillGroups(scores, teacher, config.group(), config.loss(), config.beta(),
          config.temperature());
    }
  }
}
