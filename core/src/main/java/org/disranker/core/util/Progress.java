package org.disranker.core.util;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on standard error for long jobs. On a terminal it redraws one line at most five
 * times a second; otherwise (logs, CI) it prints a line at every tenth of the work. Quiet mode
 * prints nothing.
 */
public final class Progress implements AutoCloseable {
  private static volatile boolean quiet = false;

  private final String label;
  private final long total;
  private final PrintStream out;
  private final boolean terminal;
  private final long start = System.nanoTime();
  private long done;
  private long lastDraw;
  private int lastDecile = -1;
  private boolean closed;

  private Progress(String label, long total, PrintStream out, boolean terminal) {
    this.label = label;
    this.total = total;
    this.out = out;
    this.terminal = terminal;
  }

  /** Silences every progress bar of this JVM (for scripts and tests). */
  public static void setQuiet(boolean q) {
    quiet = q;
  }

  /** Starts a bar over {@code total} units of work. */
  public static Progress start(String label, long total) {
    return new Progress(label, Math.max(total, 0), System.err, System.console() != null);
  }

  /** Records {@code n} more units done. */
  public synchronized void step(long n) {
    done += n;
    if (quiet) {
      return;
    }
    long now = System.nanoTime();
    if (terminal) {
      if (now - lastDraw > 200_000_000L || done >= total) {
        lastDraw = now;
        out.print("\r" + line());
        out.flush();
      }
    } else {
      int decile = total == 0 ? 10 : (int) Math.min(10, done * 10 / total);
      if (decile > lastDecile) {
        lastDecile = decile;
        out.println(line());
      }
    }
  }

  public void step() {
    step(1);
  }

  String line() {
    double secs = (System.nanoTime() - start) / 1e9;
    double frac = total == 0 ? 1 : Math.min(1.0, (double) done / total);
    int width = 30;
    int filled = (int) Math.round(frac * width);
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    double rate = secs > 0 ? done / secs : 0;
    String eta = done > 0 && done < total ? String.format(Locale.ROOT, " eta %.0fs",
        (total - done) / Math.max(rate, 1e-9)) : "";
    return String.format(Locale.ROOT, "%s [%s] %d/%d %.1f/s %.0fs%s", label, bar, done, total,
        rate, secs, eta);
  }

  @Override
  public synchronized void close() {
    if (closed || quiet) {
      closed = true;
      return;
    }
    closed = true;
    if (terminal) {
      out.print("\r" + line() + "\n");
    } else if (lastDecile < 10) {
      out.println(line());
    }
    out.flush();
  }
}
