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
 * Scores the pairs of concurrent requests together: requests put their pairs on a bounded queue;
 * one worker thread takes up to {@code maxBatch} pairs at a time — waiting at most {@code
 * maxWaitMillis} for more once it has one — tokenizes them, sorts the batch by length, scores it
 * and hands each request its scores when all of its pairs are done. A request that does not fit
 * in the queue is refused at once ({@link QueueFullException}), so load beyond capacity answers
 * quickly instead of piling up.
 */
public final class MicroBatcher implements AutoCloseable {
  /** The queue has no room for a request's pairs. */
  public static final class QueueFullException extends Exception {
    private static final long serialVersionUID = 1L;

    QueueFullException(String message) {
      super(message);
    }
  }

  private static final class Job {
    final String query;
    final float[] scores;
    final AtomicInteger remaining;
    final CompletableFuture<float[]> done = new CompletableFuture<>();

    Job(String query, int n) {
      this.query = query;
      this.scores = new float[n];
      this.remaining = new AtomicInteger(n);
    }
  }

  private record Item(Job job, int index, String doc) {}

  private final PairScorer scorer;
  private final PairTokenizer tok;
  private final int maxBatch;
  private final long maxWaitMillis;
  private final BlockingQueue<Item> queue;
  private final ServiceMetrics metrics;
  private final Thread worker;
  private volatile boolean closing;

  public MicroBatcher(PairScorer scorer, PairTokenizer tok, int maxBatch, long maxWaitMillis,
      int queueCapacity, ServiceMetrics metrics) {
    this.scorer = scorer;
    this.tok = tok;
    this.maxBatch = maxBatch;
    this.maxWaitMillis = maxWaitMillis;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.metrics = metrics;
    metrics.queueDepth(queue::size);
    this.worker = new Thread(this::loop, "disranker-batcher");
    this.worker.setDaemon(true);
    this.worker.start();
  }

  /** Queues a request's pairs; the future completes with one score per document. */
  public synchronized CompletableFuture<float[]> submit(String query, List<String> docs)
      throws QueueFullException {
    if (closing) {
      throw new QueueFullException("the service is shutting down");
    }
    if (queue.remainingCapacity() < docs.size()) {
      throw new QueueFullException("queue full: " + queue.size() + " pairs waiting");
    }
    Job job = new Job(query, docs.size());
    if (docs.isEmpty()) {
      job.done.complete(job.scores);
      return job.done;
    }
    for (int i = 0; i < docs.size(); i++) {
      queue.add(new Item(job, i, docs.get(i)));
    }
    return job.done;
  }

  public int queued() {
    return queue.size();
  }

  private void loop() {
    List<Item> batch = new ArrayList<>(maxBatch);
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
        while (batch.size() < maxBatch) {
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

  private void score(List<Item> batch) {
    try {
      List<String> qs = new ArrayList<>(batch.size());
      List<String> ds = new ArrayList<>(batch.size());
      for (Item it : batch) {
        qs.add(it.job().query);
        ds.add(it.doc());
      }
      List<PairTokenizer.Pair> enc = tok.encodeAll(qs, ds);
      Integer[] order = new Integer[batch.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, (a, b) -> Integer.compare(enc.get(a).length(),
          enc.get(b).length()));
      List<PairTokenizer.Pair> sorted = new ArrayList<>(order.length);
      for (Integer i : order) {
        sorted.add(enc.get(i));
      }
      float[] s = scorer.score(Batch.of(sorted));
      metrics.batch(batch.size());
      for (int k = 0; k < order.length; k++) {
        Item it = batch.get(order[k]);
        it.job().scores[it.index()] = s[k];
        if (it.job().remaining.decrementAndGet() == 0) {
          it.job().done.complete(it.job().scores);
        }
      }
    } catch (RuntimeException e) {
      for (Item it : batch) {
        it.job().done.completeExceptionally(e);
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
