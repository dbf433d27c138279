package org.disranker.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * A {@link TrainLoop.Task} for the BERT student on items of one query and some of its documents:
 * each step scores the batch's (query, document) pairs laid out item by item, [item0 doc0, item0
 * doc1, ..., item1 doc0, ...], with dynamic padding, and hands the scores to the stage's loss.
 * Fine-tuning on labels and distillation differ only in items and loss. The scoring head (pooler
 * and classifier) may learn at its own rate: a new head starts from small random weights while
 * the pretrained encoder must move slowly.
 */
abstract class BertPairTask<T extends BertPairTask.Item> implements TrainLoop.Task {
  /** The query id and the documents of an item. */
  interface Item {
    String qid();

    List<String> docids();
  }

  private double headScale = 1;
  private float dropout;
  private long dropoutSeed;
  private String frozen = "none";
  private Validation validation;

  private final BertModel model;
  private final PairTokenizer tok;
  private final byte[] tokenizerJson;
  private final Map<String, Query> queries;
  private final Map<String, Document> docs;

  BertPairTask(BertCheckpoint from, Device device, int maxLength, Map<String, Query> queries,
      Map<String, Document> docs) {
    this.model = BertModel.create(from, device);
    this.tok = new PairTokenizer(from.tokenizerJson(), maxLength);
    this.tokenizerJson = from.tokenizerJson();
    this.queries = queries;
    this.docs = docs;
  }

  /** The items of a 0-based step. */
  abstract List<T> batch(long step);

  /** The loss of the scores of a batch, laid out item by item. */
  abstract NDArray loss(NDArray scores, List<T> batch, NDManager sub);

  /** The parameters the optimizer updates: all but the frozen ones. */
  @Override
  public Map<String, NDArray> trainable() {
    Map<String, NDArray> out = new java.util.LinkedHashMap<>();
    model.namedParameters().forEach((name, p) -> {
      if (!isFrozen(name, frozen)) {
        out.put(name, p);
      }
    });
    return out;
  }

  /**
   * What stays fixed: {@code none}, {@code embeddings} (the embedding tables and their
   * LayerNorm), {@code layers:N} (the embeddings and the first N encoder layers: no gradient flows
   * below layer N, so a step costs less) or {@code encoder} (only the head learns).
   */
  void freeze(String what) {
    checkFreeze(what);
    frozen = what;
  }

  static void checkFreeze(String what) {
    if (!what.equals("none") && !what.equals("embeddings") && !what.equals("encoder")
        && !what.matches("layers:\\d+")) {
      throw new IllegalArgumentException("freeze must be none, embeddings, layers:N or encoder,"
          + " not '" + what + "'");
    }
  }

  static boolean isFrozen(String name, String frozen) {
    if (frozen.startsWith("layers:")) {
      int n = Integer.parseInt(frozen.substring(7));
      if (name.startsWith("embeddings.")) {
        return true;
      }
      if (name.startsWith("encoder.layer.")) {
        int layer = Integer.parseInt(name.substring(14, name.indexOf('.', 14)));
        return layer < n;
      }
      return false;
    }
    return switch (frozen) {
      case "embeddings" -> name.startsWith("embeddings.");
      case "encoder" -> !BertCheckpoint.HEAD.contains(name);
      default -> false;
    };
  }

  /** Lets the head learn at {@code headLearningRate / learningRate} times the encoder's rate. */
  void headLearningRate(double learningRate, double headLearningRate) {
    headScale = headLearningRate > 0 ? headLearningRate / learningRate : 1;
  }

  /**
   * Trains with dropout at this rate (0: none). Each step seeds the engine's generator from
   * {@code seed} and the step number, so a resumed run draws the same masks.
   */
  void dropout(double rate, long seed) {
    dropout = (float) rate;
    dropoutSeed = seed;
  }

  /** Validates on this set as training goes (null: never). */
  void validation(Validation v) {
    validation = v;
  }

  @Override
  public int validateEvery() {
    return validation == null ? 0 : validation.every();
  }

  @Override
  public boolean validateAtStart() {
    return validation == null || validation.atStart();
  }

  @Override
  public Map<String, Double> validate() {
    return validation == null ? Map.of() : validation.evaluate(model, tokenizerJson);
  }

  @Override
  public double learningRateScale(String name) {
    return BertCheckpoint.HEAD.contains(name) ? headScale : 1;
  }

  @Override
  public TrainLoop.Step forward(long step, NDManager sub) {
    List<T> batch = batch(step);
    List<String> qs = new ArrayList<>();
    List<String> ds = new ArrayList<>();
    for (T t : batch) {
      String q = queries.get(t.qid()).text();
      for (String d : t.docids()) {
        qs.add(q);
        ds.add(docs.get(d).text());
      }
    }
    Batch b = Batch.of(tok.encodeAll(qs, ds));
    long tokens = 0;
    for (long m : b.mask()) {
      tokens += m;
    }
    if (dropout > 0) {
      Engine.getInstance().setRandomSeed((int) (dropoutSeed * 1_000_003L + step));
    }
    NDArray scores = model.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub), dropout);
    return new TrainLoop.Step(loss(scores, batch, sub), tokens);
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
