package org.disranker.spark;

import org.disranker.serve.QueryScorer;
import org.disranker.serve.ScorerSpec;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models open in this JVM — on a cluster, in this executor — one per spec: the first task
 * that needs a model opens it, every later task of the executor reuses it, and the JVM closes
 * them when it exits.
 */
public final class ExecutorModels {
  private static final Map<ScorerSpec, QueryScorer> OPEN = new ConcurrentHashMap<>();
  private static final Map<ScorerSpec, Integer> LOADS = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.values().forEach(s -> {
      try {
        s.close();
      } catch (RuntimeException e) {
        // the JVM is going away; nothing to save
      }
    })));
  }

  private ExecutorModels() {}

  /** The open model for this spec, opened on first use. */
  public static QueryScorer get(ScorerSpec spec) {
    return OPEN.computeIfAbsent(spec, s -> {
      LOADS.merge(s, 1, Integer::sum);
      return s.open();
    });
  }

  /** How many times this JVM opened the model of a spec (1 once it is used). */
  public static int loads(ScorerSpec spec) {
    return LOADS.getOrDefault(spec, 0);
  }
}
