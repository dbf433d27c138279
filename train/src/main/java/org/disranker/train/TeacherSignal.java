package org.disranker.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.Lines;
import org.disranker.core.io.TrecRuns;

/**
 * Teacher scores of (query, document) pairs, the signal distillation learns from, and the
 * triplets (q, d+, d−) drawn from them with the teacher preferring d+.
 *
 * <p>Sources: a score file of this project's teacher ({@code qid docid score} TSV or JSON lines,
 * or a folder of Spark's JSON-lines scores); a TREC run whose scores are the teacher's; or a TREC
 * run whose order alone is the teacher's (LLM listwise
 * rerankers), mapped to scores by rank: {@code linear} gives rank r of n the score 1 − (r − 1) /
 * n, {@code reciprocal} gives 1 / r. Scores can then be normalised per query ({@code zscore} or
 * {@code minmax}) to put the teacher on a scale the student can reach.
 *
 * <p>Several teachers combine into an {@link #ensemble}: each normalised per query on its own,
 * then a weighted mean per pair. Distillation reads the signal as one {@link Group} per query:
 * the documents the teacher scored that have text, with their scores.
 */
public final class TeacherSignal {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The teacher's scores of one query's documents. */
  public record Group(String qid, List<String> docids, float[] scores) {
    public int size() {
      return docids.size();
    }
  }

  /**
   * What an ensemble does with a pair that one of its teachers did not score (a recorded run
   * holds only its own top k): {@code MIN} gives it that teacher's lowest score for the query
   * (the teacher ranked it below its top k), {@code SKIP} leaves the pair to the teachers that
   * scored it.
   */
  public enum Missing { MIN, SKIP }

  private final Map<String, Map<String, Float>> scores;

  private TeacherSignal(Map<String, Map<String, Float>> scores) {
    this.scores = scores;
  }

  public Map<String, Map<String, Float>> scores() {
    return scores;
  }

  /**
   * Reads teacher scores: a {@code qid docid score} TSV or a JSON-lines file of {@code {"qid",
   * "docid", "score"}} objects (both written by {@code disranker teacher score}), or a folder of
   * such files, such as the JSON-lines output of {@code disranker spark score} (its {@code part-*}
   * files). A pair scored twice is an error naming the file and line.
   */
  public static TeacherSignal fromScoreFile(Path file) {
    Map<String, Map<String, Float>> m = new LinkedHashMap<>();
    List<Path> files;
    if (Files.isDirectory(file)) {
      try (var s = Files.list(file)) {
        files = s.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().toList();
      } catch (IOException e) {
        throw new UncheckedIOException("listing " + file, e);
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException("no part-* files in " + file);
      }
      if (files.stream().anyMatch(f -> f.toString().endsWith(".parquet"))) {
        throw new IllegalArgumentException(file + " holds Parquet; score with"
            + " --output-format jsonl to distil from Spark's output");
      }
    } else {
      files = List.of(file);
    }
    for (Path f : files) {
      Lines.forEach(f, (n, line) -> {
        String qid;
        String docid;
        float s;
        if (line.stripLeading().startsWith("{")) {
          JsonNode o;
          try {
            o = JSON.readTree(line);
          } catch (IOException e) {
            throw new InputFormatException(f, n, "not JSON: " + e.getMessage());
          }
          if (!o.path("qid").isValueNode() || !o.path("docid").isValueNode()
              || !o.path("score").isNumber()) {
            throw new InputFormatException(f, n, "expected {\"qid\", \"docid\", \"score\"}");
          }
          qid = o.get("qid").asText();
          docid = o.get("docid").asText();
          s = (float) o.get("score").asDouble();
        } else {
          String[] x = Lines.fields(line);
          if (x.length == 0) {
            return;
          }
          if (x.length != 3) {
            throw new InputFormatException(f, n, "expected 'qid docid score', found " + x.length
                + " fields");
          }
          qid = x[0];
          docid = x[1];
          s = (float) Lines.parseDouble(f, n, "score", x[2]);
        }
        if (m.computeIfAbsent(qid, k -> new LinkedHashMap<>()).put(docid, s) != null) {
          throw new InputFormatException(f, n, "pair " + qid + " " + docid + " scored twice");
        }
      });
    }
    return new TeacherSignal(m);
  }

  /**
   * Reads a TREC run: with {@code rankMap} {@code score} it keeps the run's scores (in trec_eval
   * order); {@code linear} or {@code reciprocal} replace them by a function of the rank column.
   */
  public static TeacherSignal fromRun(Path file, String rankMap) {
    Run run = TrecRuns.read(file);
    Map<String, Map<String, Float>> m = new LinkedHashMap<>();
    for (String q : run.queryIds()) {
      List<ScoredDoc> l = run.ordered(q, rankMap.equals("score") ? Run.Order.SCORE
          : Run.Order.RANK);
      Map<String, Float> s = new LinkedHashMap<>();
      int n = l.size();
      for (int i = 0; i < n; i++) {
        float v = switch (rankMap) {
          case "score" -> (float) l.get(i).score();
          case "linear" -> 1f - (float) i / n;
          case "reciprocal" -> 1f / (i + 1);
          default -> throw new IllegalArgumentException("rank map must be score, linear or"
              + " reciprocal, not '" + rankMap + "'");
        };
        s.put(l.get(i).docid(), v);
      }
      m.put(q, s);
    }
    return new TeacherSignal(m);
  }

  /**
   * Normalisation: none; per query, zscore (mean 0, sd 1) or minmax (onto [0, 1]); or global, a
   * z-score over every pair of every query. Per-query scales make every query's scores look
   * alike, so that a point loss asks the student for a score relative to candidates it never
   * sees; a global z-score keeps how relevant a pair is across queries.
   */
  public TeacherSignal normalized(String how) {
    if (how.equals("none")) {
      return this;
    }
    if (how.equals("global")) {
      double sum = 0;
      double sq = 0;
      long n = 0;
      for (Map<String, Float> s : scores.values()) {
        for (float v : s.values()) {
          sum += v;
          sq += (double) v * v;
          n++;
        }
      }
      double mean = sum / n;
      double sd = Math.sqrt(Math.max(sq / n - mean * mean, 0));
      Map<String, Map<String, Float>> out = new LinkedHashMap<>();
      scores.forEach((q, s) -> {
        Map<String, Float> t = new LinkedHashMap<>();
        s.forEach((d, v) -> t.put(d, (float) (sd > 0 ? (v - mean) / sd : 0)));
        out.put(q, t);
      });
      return new TeacherSignal(out);
    }
    Map<String, Map<String, Float>> out = new LinkedHashMap<>();
    scores.forEach((q, s) -> {
      double mean = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (float v : s.values()) {
        mean += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      mean /= s.size();
      double var = 0;
      for (float v : s.values()) {
        var += (v - mean) * (v - mean);
      }
      double sd = Math.sqrt(var / s.size());
      Map<String, Float> t = new LinkedHashMap<>();
      for (Map.Entry<String, Float> e : s.entrySet()) {
        double v = e.getValue();
        t.put(e.getKey(), (float) switch (how) {
          case "zscore" -> sd > 0 ? (v - mean) / sd : 0;
          case "minmax" -> max > min ? (v - min) / (max - min) : 0.5;
          default -> throw new IllegalArgumentException("normalisation must be none, zscore,"
              + " minmax or global, not '" + how + "'");
        });
      }
      out.put(q, t);
    });
    return new TeacherSignal(out);
  }

  /**
   * A weighted combination of teachers: every pair any of them scored, its score the weighted mean
   * of the teachers' scores (each teacher normalised per query beforehand, by the caller).
   * Queries scored by no teacher are absent; a pair a teacher did not score follows {@code
   * missing}. Teachers that did not score a query at all take no part in it.
   */
  public static TeacherSignal ensemble(List<TeacherSignal> teachers, double[] weights,
      Missing missing) {
    if (teachers.size() != weights.length || teachers.isEmpty()) {
      throw new IllegalArgumentException(teachers.size() + " teachers but " + weights.length
          + " weights");
    }
    Map<String, Map<String, Float>> out = new LinkedHashMap<>();
    java.util.Set<String> qids = new java.util.LinkedHashSet<>();
    teachers.forEach(t -> qids.addAll(t.scores.keySet()));
    for (String q : qids) {
      java.util.Set<String> docs = new java.util.LinkedHashSet<>();
      teachers.forEach(t -> docs.addAll(t.scores.getOrDefault(q, Map.of()).keySet()));
      Map<String, Float> m = new LinkedHashMap<>();
      for (String d : docs) {
        double sum = 0;
        double w = 0;
        for (int k = 0; k < teachers.size(); k++) {
          Map<String, Float> s = teachers.get(k).scores.get(q);
          if (s == null) {
            continue;
          }
          Float v = s.get(d);
          if (v == null && missing == Missing.MIN) {
            v = java.util.Collections.min(s.values());
          }
          if (v != null) {
            sum += weights[k] * v;
            w += weights[k];
          }
        }
        m.put(d, (float) (sum / w));
      }
      out.put(q, m);
    }
    return new TeacherSignal(out);
  }

  /** The scores as a TREC run, ranked in trec_eval order. */
  public Run toRun(String name) {
    Map<String, List<ScoredDoc>> byQ = new LinkedHashMap<>();
    scores.forEach((q, s) -> {
      List<ScoredDoc> l = new ArrayList<>();
      s.forEach((d, v) -> l.add(new ScoredDoc(d, v, 0)));
      byQ.put(q, l);
    });
    return Run.ranked(name, byQ);
  }

  /** Writes the scores as {@code qid docid score} TSV (written whole, or not at all). */
  public void write(Path file) {
    org.disranker.core.io.AtomicFiles.write(file, w -> {
      for (Map.Entry<String, Map<String, Float>> e : scores.entrySet()) {
        for (Map.Entry<String, Float> d : e.getValue().entrySet()) {
          w.write(e.getKey() + "\t" + d.getKey() + "\t" + d.getValue() + "\n");
        }
      }
    });
  }

  /** The same signal restricted to the given queries. */
  public TeacherSignal onlyQueries(java.util.Set<String> keep) {
    Map<String, Map<String, Float>> out = new LinkedHashMap<>();
    scores.forEach((q, s) -> {
      if (keep.contains(q)) {
        out.put(q, s);
      }
    });
    return new TeacherSignal(out);
  }

  /**
   * The same signal restricted to the given pairs, query by query: what an ensemble with a
   * recorded run (whose own top k reaches beyond a candidate list) keeps of a list.
   */
  public TeacherSignal onlyPairs(Map<String, ? extends java.util.Collection<String>> keep) {
    Map<String, Map<String, Float>> out = new LinkedHashMap<>();
    scores.forEach((q, s) -> {
      java.util.Collection<String> k = keep.get(q);
      if (k == null) {
        return;
      }
      Set<String> wanted = k instanceof Set<String> set ? set : new java.util.HashSet<>(k);
      Map<String, Float> m = new LinkedHashMap<>();
      s.forEach((d, v) -> {
        if (wanted.contains(d)) {
          m.put(d, v);
        }
      });
      if (!m.isEmpty()) {
        out.put(q, m);
      }
    });
    return new TeacherSignal(out);
  }

  /**
   * One group per query of {@code queries} with at least {@code minSize} scored documents that
   * have text, in the signal's order.
   */
  public List<Group> groups(Set<String> queries, Set<String> docsWithText, int minSize) {
    List<Group> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Float>> e : scores.entrySet()) {
      if (!queries.contains(e.getKey())) {
        continue;
      }
      List<String> ids = new ArrayList<>();
      List<Float> sc = new ArrayList<>();
      e.getValue().forEach((d, v) -> {
        if (docsWithText.contains(d)) {
          ids.add(d);
          sc.add(v);
        }
      });
      if (ids.size() < minSize) {
        continue;
      }
      float[] a = new float[sc.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = sc.get(i);
      }
      out.add(new Group(e.getKey(), List.copyOf(ids), a));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no query has " + minSize + " teacher-scored documents"
          + " with text");
    }
    return out;
  }
}
