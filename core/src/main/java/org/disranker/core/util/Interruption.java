package org.disranker.core.util;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets a long job stop cleanly on Ctrl-C or SIGTERM: while a job is registered, the JVM's
 * shutdown waits (up to a limit) for the job to notice {@link #requested()}, save its state and
 * call {@link #close()}.
 */
public final class Interruption implements AutoCloseable {
  private static final long WAIT_SECONDS = 120;

  private final CountDownLatch finished = new CountDownLatch(1);
  private final Thread hook;
  private volatile boolean requested;

  private Interruption(String job) {
    hook = new Thread(() -> {
      requested = true;
      System.err.println("\n" + job + ": interrupted, saving a checkpoint before exit...");
      try {
        finished.await(WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, job + "-shutdown");
  }

  /** Registers a job; close it when the job ends, normally or not. */
  public static Interruption register(String job) {
    Interruption i = new Interruption(job);
    Runtime.getRuntime().addShutdownHook(i.hook);
    return i;
  }

  /** True once the JVM was asked to stop; the job should save and return. */
  public boolean requested() {
    return requested;
  }

  /** For tests and callers that stop a job themselves. */
  public void request() {
    requested = true;
  }

  @Override
  public void close() {
    finished.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running: it is waiting for this countDown
    }
  }
}
