package org.disranker.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * <p>Sampling per query: {@code all} pairs with different teacher scores; {@code top}: each of
 * the teacher's top {@code topN} against every document below it; {@code hard}: pairs at most
 * {@code window} ranks apart. At most {@code capPerQuery} triplets a query (a seeded sample).
 */
public final class TeacherSignal {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A training triplet with the teacher's scores. */
  public record Triplet(String qid, String pos, String neg, float tPos, float tNeg)
      implements BertPairTask.Item {}

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

  /** Per-query normalisation: none, zscore (mean 0, sd 1) or minmax (onto [0, 1]). */
  public TeacherSignal normalized(String how) {
    if (how.equals("none")) {
      return this;
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
          default -> throw new IllegalArgumentException("normalisation must be none, zscore or"
              + " minmax, not '" + how + "'");
        });
      }
      out.put(q, t);
    });
    return new TeacherSignal(out);
  }

  /** Draws triplets over the queries and documents that have text. */
  public List<Triplet> triplets(Set<String> queries, Set<String> docsWithText, String sampling,
      int topN, int window, int capPerQuery, long seed) {
    Random r = new Random(seed);
    List<Triplet> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Float>> e : scores.entrySet()) {
      String q = e.getKey();
      if (!queries.contains(q)) {
        continue;
      }
      List<Map.Entry<String, Float>> ranked = new ArrayList<>();
      for (Map.Entry<String, Float> d : e.getValue().entrySet()) {
        if (docsWithText.contains(d.getKey())) {
          ranked.add(d);
        }
      }
      ranked.sort((a, b) -> Float.compare(b.getValue(), a.getValue()));
      List<Triplet> qt = new ArrayList<>();
      for (int i = 0; i < ranked.size(); i++) {
        for (int j = i + 1; j < ranked.size(); j++) {
          boolean keep = switch (sampling) {
            case "all" -> true;
            case "top" -> i < topN;
            case "hard" -> j - i <= window;
            default -> throw new IllegalArgumentException("sampling must be all, top or hard,"
                + " not '" + sampling + "'");
          };
          float a = ranked.get(i).getValue();
          float b = ranked.get(j).getValue();
          if (keep && a > b) {
            qt.add(new Triplet(q, ranked.get(i).getKey(), ranked.get(j).getKey(), a, b));
          }
        }
      }
      Collections.shuffle(qt, r);
      out.addAll(qt.subList(0, Math.min(capPerQuery, qt.size())));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no triplets: the teacher scores no two documents of a"
          + " training query differently");
    }
    return out;
  }
}
