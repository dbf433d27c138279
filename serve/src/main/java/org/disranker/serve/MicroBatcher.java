package org.disranker.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.PairScorer;
import org.disranker.model.tokenize.PairTokenizer;

/**
 * Scores the pairs of concurrent requests together. A request's pairs are tokenized on the
 * caller's thread and put on a bounded queue. One worker takes up to {@code window} pairs at a
 * time (waiting at most {@code maxWaitMillis} for more once it has one), sorts them by length
 * and scores them in batches of at most {@code maxBatch} similar-length pairs, so padding stays
 * small; each request gets its scores when all of its pairs are done. A request that does not
 * fit in the queue is refused at once ({@link QueueFullException}), so load beyond capacity
 * answers quickly instead of piling up.
 */
public final class MicroBatcher implements AutoCloseable {
  /** The queue has no room for a request's pairs. */
  public static final class QueueFullException extends Exception {
    private static final long serialVersionUID = 1L;

    QueueFullException(String message) {
      super(message);
    }
  }

  /** The batcher is closing and takes no new requests. */
  public static final class ShuttingDownException extends Exception {
    private static final long serialVersionUID = 1L;

    ShuttingDownException() {
      super("the service is shutting down");
    }
  }

  private static final class Job {
    final float[] scores;
    final AtomicInteger remaining;
    final CompletableFuture<float[]> done = new CompletableFuture<>();

    Job(int n) {
      this.scores = new float[n];
      this.remaining = new AtomicInteger(n);
    }
  }

  private record Item(Job job, int index, PairTokenizer.Pair pair) {}

  private final PairScorer scorer;
  private final PairTokenizer tok;
  private final int maxBatch;
  private final int window;
  private final long maxWaitMillis;
  private final BlockingQueue<Item> queue;
  private final ServiceMetrics metrics;
  private final Thread worker;
  private volatile boolean closing;

  /** A batcher whose window is one batch (pairs are sorted within each batch only). */
  public MicroBatcher(PairScorer scorer, PairTokenizer tok, int maxBatch, long maxWaitMillis,
      int queueCapacity, ServiceMetrics metrics) {
    this(scorer, tok, maxBatch, maxBatch, maxWaitMillis, queueCapacity, metrics);
  }

  /**
   * @param window pairs taken off the queue together and sorted by length before they are cut
   *     into batches of at most {@code maxBatch}
   */
  public MicroBatcher(PairScorer scorer, PairTokenizer tok, int maxBatch, int window,
      long maxWaitMillis, int queueCapacity, ServiceMetrics metrics) {
    if (maxBatch < 1 || window < maxBatch || queueCapacity < 1 || maxWaitMillis < 0) {
      throw new IllegalArgumentException("need 1 <= maxBatch <= window, a positive queue and"
          + " a wait >= 0 (got batch " + maxBatch + ", window " + window + ", queue "
          + queueCapacity + ", wait " + maxWaitMillis + ")");
    }
    this.scorer = scorer;
    this.tok = tok;
    this.maxBatch = maxBatch;
    this.window = window;
    this.maxWaitMillis = maxWaitMillis;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.metrics = metrics;
    metrics.queueDepth(queue::size);
    this.worker = new Thread(this::loop, "disranker-batcher");
    this.worker.setDaemon(true);
    this.worker.start();
  }

  /**
   * Tokenizes a request's pairs (on the calling thread) and queues them; the future completes
   * with one score per document.
   */
  public CompletableFuture<float[]> submit(String query, List<String> docs)
      throws QueueFullException, ShuttingDownException {
    if (closing) {
      throw new ShuttingDownException();
    }
    Job job = new Job(docs.size());
    if (docs.isEmpty()) {
      job.done.complete(job.scores);
      return job.done;
    }
    List<PairTokenizer.Pair> enc = tok.encodeAll(java.util.Collections.nCopies(docs.size(),
        query), docs);
    synchronized (this) {
      if (closing) {
        throw new ShuttingDownException();
      }
      if (queue.remainingCapacity() < docs.size()) {
        throw new QueueFullException("queue full: " + queue.size() + " pairs waiting");
      }
      for (int i = 0; i < docs.size(); i++) {
        queue.add(new Item(job, i, enc.get(i)));
      }
    }
    return job.done;
  }

  public int queued() {
    return queue.size();
  }

  private void loop() {
    List<Item> batch = new ArrayList<>(window);
    while (true) {
      try {
        Item first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closing && queue.isEmpty()) {
            return;
          }
          continue;
        }
        batch.clear();
        batch.add(first);
        long deadline = System.nanoTime() + maxWaitMillis * 1_000_000L;
        while (batch.size() < window) {
          long left = deadline - System.nanoTime();
          Item next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          batch.add(next);
        }
        score(batch);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Sorts a window of pairs by length and scores it in near-equal batches of similar length. */
  private void score(List<Item> items) {
    List<PairTokenizer.Pair> enc = new ArrayList<>(items.size());
    for (Item it : items) {
      enc.add(it.pair());
    }
    List<Integer> order = Batch.lengthOrder(enc);
    int batches = (items.size() + maxBatch - 1) / maxBatch;
    int from = 0;
    for (int b = 0; b < batches; b++) {
      int to = from + (items.size() - from) / (batches - b);
      List<Item> chunk = new ArrayList<>(to - from);
      List<PairTokenizer.Pair> pairs = new ArrayList<>(to - from);
      for (int k = from; k < to; k++) {
        chunk.add(items.get(order.get(k)));
        pairs.add(enc.get(order.get(k)));
      }
      scoreBatch(chunk, pairs);
      from = to;
    }
  }

  private void scoreBatch(List<Item> chunk, List<PairTokenizer.Pair> pairs) {
    float[] s;
    try {
      s = scorer.score(Batch.of(pairs));
    } catch (RuntimeException e) {
      for (Item it : chunk) {
        it.job().done.completeExceptionally(e);
      }
      return;
    }
    metrics.batch(chunk.size());
    for (int k = 0; k < chunk.size(); k++) {
      Item it = chunk.get(k);
      it.job().scores[it.index()] = s[k];
      if (it.job().remaining.decrementAndGet() == 0) {
        it.job().done.complete(it.job().scores);
      }
    }
  }

  /** Stops taking requests, finishes what is queued (up to the timeout), stops the worker. */
  @Override
  public void close() {
    closing = true;
    try {
      worker.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
