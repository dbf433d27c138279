package org.disranker.core.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Opens a dataset folder, recognising its layout, and finds the shared data folder. */
public final class Datasets {
  /** System property and environment variable that name the shared data folder. */
  public static final String DATA_PROPERTY = "disranker.data";

  public static final String DATA_ENV = "DISRANKER_DATA";

  private Datasets() {}

  /**
   * Opens a dataset folder: TREC DL, Cranfield, NFCorpus or the generic layout.
   *
   * @param split NFCorpus split and query set as {@code split} or {@code split/queryset} (e.g.
   *     {@code test/titles}); null for the default; an error for collections without splits
   */
  public static Dataset open(Path dir, String split) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("dataset folder not found: " + dir);
    }
    if (NfCorpus.matches(dir)) {
      String s = null;
      String qs = null;
      if (split != null) {
        String[] parts = split.split("/", 2);
        s = parts[0];
        qs = parts.length > 1 ? parts[1] : null;
      }
      return NfCorpus.load(dir, s, qs);
    }
    if (split != null) {
      throw new IllegalArgumentException("dataset " + dir + " has no splits; drop --split");
    }
    if (TrecDl.matches(dir)) {
      return TrecDl.load(dir);
    }
    if (Cranfield.matches(dir)) {
      return Cranfield.load(dir);
    }
    if (GenericDataset.matches(dir)) {
      return GenericDataset.load(dir);
    }
    throw new IllegalArgumentException("unrecognised dataset folder " + dir
        + ": expected TREC DL (queries.tsv, passages.jsonl, candidates.tsv), Cranfield"
        + " (cran.all.1400), NFCorpus (*.docs) or a generic folder (corpus.jsonl + queries.tsv)");
  }

  /**
   * The shared data folder: the {@value #DATA_PROPERTY} system property, else the {@value
   * #DATA_ENV} environment variable, else {@code ../shared/data} seen from the working directory or
   * any folder above it.
   */
  public static Path dataRoot() {
    String p = System.getProperty(DATA_PROPERTY);
    if (p == null || p.isBlank()) {
      p = System.getenv(DATA_ENV);
    }
    if (p != null && !p.isBlank()) {
      return Paths.get(p).toAbsolutePath().normalize();
    }
    Path dir = Paths.get("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve("../shared/data").normalize();
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      dir = dir.getParent();
    }
    return Paths.get("../shared/data").toAbsolutePath().normalize();
  }
}
