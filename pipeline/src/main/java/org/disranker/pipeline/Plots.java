package org.disranker.pipeline;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.Lines;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's PNG plots (XChart): histograms of the scores each model gives the same pairs (the
 * paper's Figure 4) and training loss curves. Files are written atomically.
 */
public final class Plots {
  static final int BINS = 40;

  private Plots() {}

  /** Counts of {@code values} in {@code bins} equal bins over [min, max]; bin centres in x. */
  static double[][] histogram(float[] values, int bins) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (float v : values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    double width = max > min ? (max - min) / bins : 1;
    double[] x = new double[bins];
    double[] y = new double[bins];
    for (int b = 0; b < bins; b++) {
      x[b] = min + (b + 0.5) * width;
    }
    for (float v : values) {
      int b = (int) Math.min(bins - 1, Math.floor((v - min) / width));
      y[b]++;
    }
    return new double[][] {x, y};
  }

  /** One histogram of a model's scores. */
  public static void scoreHistogram(String model, float[] scores, Path png) {
    double[][] h = histogram(scores, BINS);
    CategoryChart c = new CategoryChartBuilder().width(640).height(400)
        .title("Scores of " + model + " (" + scores.length + " pairs)").xAxisTitle("score")
        .yAxisTitle("pairs").build();
    c.getStyler().setLegendVisible(false);
    c.getStyler().setChartBackgroundColor(Color.WHITE);
    c.getStyler().setXAxisLabelRotation(45);
    c.getStyler().setAvailableSpaceFill(0.95);
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < h[0].length; i++) {
      labels.add(i % 4 == 0 ? String.format(java.util.Locale.ROOT, "%.2f", h[0][i]) : " ".repeat(
          1 + i % 4)); // only every fourth label shown; distinct blanks keep the bins apart
    }
    List<Double> counts = new ArrayList<>();
    for (double v : h[1]) {
      counts.add(v);
    }
    c.addSeries(model, labels, counts);
    write(c, png);
  }

  /** Loss curves from {@code loss.tsv} files ({@code step<TAB>loss}), smoothed over a window. */
  public static void lossCurves(String title, Map<String, Path> lossFiles, int window, Path png) {
    XYChart c = new XYChartBuilder().width(720).height(420).title(title).xAxisTitle("step")
        .yAxisTitle("loss (moving average of " + window + ")").build();
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS); // inside, it hid the curves
    c.getStyler().setChartBackgroundColor(Color.WHITE);
    c.getStyler().setMarkerSize(0);
    lossFiles.forEach((name, file) -> {
      List<Double> steps = new ArrayList<>();
      List<Double> losses = new ArrayList<>();
      Lines.forEach(file, (n, line) -> {
        String[] f = line.split("\t");
        if (n == 1 && f[0].equals("step")) {
          return;
        }
        if (f.length < 2) {
          throw new org.disranker.core.io.InputFormatException(file, n,
              "expected 'step<TAB>loss'");
        }
        steps.add(Lines.parseDouble(file, n, "step", f[0]));
        losses.add(Lines.parseDouble(file, n, "loss", f[1]));
      });
      List<Double> smooth = new ArrayList<>();
      double sum = 0;
      for (int i = 0; i < losses.size(); i++) {
        sum += losses.get(i);
        if (i >= window) {
          sum -= losses.get(i - window);
        }
        smooth.add(sum / Math.min(i + 1, window));
      }
      if (!steps.isEmpty()) {
        c.addSeries(name, steps, smooth).setMarker(SeriesMarkers.NONE);
      }
    });
    write(c, png);
  }

  /**
   * Learning curves from {@code validation.tsv} files (columns step, tokens and metrics, written
   * by the training loop): the metric against the tokens trained on, one line per run. The runs
   * are consecutive phases in map order, so each line is shifted to start where the one before
   * ended.
   */
  public static void learningCurves(String title, String metric, Map<String, Path> files,
      Path png) {
    XYChart c = new XYChartBuilder().width(720).height(420).title(title)
        .xAxisTitle("training tokens (millions)").yAxisTitle(metric).build();
    c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    c.getStyler().setChartBackgroundColor(Color.WHITE);
    // the phases follow one another: each curve starts where the one before ended
    double[] offset = {0};
    files.forEach((name, file) -> {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      int[] cols = {-1, -1};
      Lines.forEach(file, (n, line) -> {
        String[] f = line.split("\t");
        if (n == 1) {
          cols[0] = java.util.Arrays.asList(f).indexOf("tokens");
          cols[1] = java.util.Arrays.asList(f).indexOf(metric);
          if (cols[0] < 0 || cols[1] < 0) {
            throw new org.disranker.core.io.InputFormatException(file, n, "no 'tokens' or '"
                + metric + "' column");
          }
          return;
        }
        x.add(offset[0] + Lines.parseDouble(file, n, "tokens", f[cols[0]]) / 1e6);
        y.add(Lines.parseDouble(file, n, metric, f[cols[1]]));
      });
      if (!x.isEmpty()) {
        c.addSeries(name, x, y);
        offset[0] = x.get(x.size() - 1);
      }
    });
    write(c, png);
  }

  static void write(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path png) {
    AtomicFiles.writeBytes(png, os -> {
      try {
        BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG);
      } catch (IOException e) {
        throw new UncheckedIOException("writing " + png, e);
      }
    });
  }
}
