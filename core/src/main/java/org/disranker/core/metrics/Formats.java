package org.disranker.core.metrics;

import java.util.Locale;

/** How metric values and p-values are printed in every table of the project. */
public final class Formats {
  private Formats() {}

  /** Four decimals; {@code n/a} for NaN, {@code inf} / {@code -inf} for infinities. */
  public static String num(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    return String.format(Locale.ROOT, "%.4f", v);
  }

  /** Four decimals with a sign (a delta). */
  public static String signed(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%+.4f", v) : num(v);
  }

  /** A p-value: four decimals, {@code <0.0001} below that, {@code n/a} for NaN. */
  public static String pValue(double p) {
    return Double.isNaN(p) ? "n/a" : p < 0.0001 ? "<0.0001" : String.format(Locale.ROOT, "%.4f", p);
  }
}
