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
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertModel;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * A {@link TrainLoop.Task} for the BERT student on (query, positive, negative) items: each step
 * scores the batch's pairs laid out [pos0, neg0, pos1, neg1, ...] with dynamic padding and hands
 * the scores to the stage's loss. Fine-tuning on labels and distillation differ only in items and
 * loss.
 */
abstract class BertPairTask<T extends BertPairTask.Item> implements TrainLoop.Task {
  /** The query id and the two documents of an item. */
  interface Item {
    String qid();

    String pos();

    String neg();
  }

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

  /** The loss of the scores of a batch, laid out [pos0, neg0, pos1, neg1, ...]. */
  abstract NDArray loss(NDArray scores, List<T> batch, NDManager sub);

  @Override
  public Map<String, NDArray> trainable() {
    return model.namedParameters();
  }

  @Override
  public TrainLoop.Step forward(long step, NDManager sub) {
    List<T> batch = batch(step);
    List<String> qs = new ArrayList<>();
    List<String> ds = new ArrayList<>();
    for (T t : batch) {
      String q = queries.get(t.qid()).text();
      qs.add(q);
      ds.add(docs.get(t.pos()).text());
      qs.add(q);
      ds.add(docs.get(t.neg()).text());
    }
    Batch b = Batch.of(tok.encodeAll(qs, ds));
    long tokens = 0;
    for (long m : b.mask()) {
      tokens += m;
    }
    NDArray scores = model.score(b.idsArray(sub), b.typesArray(sub), b.maskArray(sub));
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
