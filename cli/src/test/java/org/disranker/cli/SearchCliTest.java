package org.disranker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.data.Run;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.io.TrecRuns;
import org.disranker.core.util.Progress;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.disranker.retrieval.Bm25Searcher;
import org.disranker.search.CrossEncoderRescorer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Lucene rescorer and the commands around it, on a real slice of Cranfield (300 documents,
 * 4 queries) with a tiny random student: the rescored order is the order of the same student's
 * scores from {@code rerank}, pair for pair.
 */
class SearchCliTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @BeforeAll
  static void quiet() {
    Progress.setQuiet(true);
  }

  /** A generic dataset folder with the first documents and queries of Cranfield. */
  Path cranfieldSlice() throws IOException {
    Path cran = Datasets.dataRoot().resolve("cranfield");
    assumeTrue(Files.isDirectory(cran), "shared data not found at " + cran);
    Dataset d = Datasets.open(cran, null);
    Path ds = dir.resolve("cran");
    Files.createDirectories(ds);
    StringBuilder corpus = new StringBuilder();
    int n = 0;
    for (Document doc : d.documents().values()) {
      ObjectNode o = JSON.createObjectNode();
      o.put("id", doc.id());
      o.put("title", doc.title());
      o.put("text", doc.body());
      corpus.append(JSON.writeValueAsString(o)).append('\n');
      if (++n == 300) {
        break;
      }
    }
    Files.writeString(ds.resolve("corpus.jsonl"), corpus.toString());
    StringBuilder queries = new StringBuilder();
    n = 0;
    for (Query q : d.queries().values()) {
      queries.append(q.id()).append('\t').append(q.text().replace('\n', ' ')).append('\n');
      if (++n == 4) {
        break;
      }
    }
    Files.writeString(ds.resolve("queries.tsv"), queries.toString());
    return ds;
  }

  Path tinyStudent() {
    Path m = dir.resolve("tiny");
    BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 128, 2, 1e-12), 5,
        BertCheckpoint.minilmTokenizer()).save(m);
    Path out = dir.resolve("export");
    CliTest.Result r = CliTest.run("student", "export", "--model", m.toString(), "-o",
        out.toString());
    assertEquals(0, r.code(), r.err());
    return out;
  }

  @Test
  void rescoredOrderIsTheStudentsOrderFromRerankPairForPair() throws IOException {
    Path ds = cranfieldSlice();
    Path student = tinyStudent();
    Path index = dir.resolve("idx");
    CliTest.Result r = CliTest.run("bm25", "index", "--corpus", ds.resolve("corpus.jsonl")
        .toString(), "--index", index.toString());
    assertEquals(0, r.code(), r.err());
    Path bm25 = dir.resolve("bm25.run");
    r = CliTest.run("bm25", "search", "--dataset", ds.toString(), "--index", index.toString(),
        "-k", "20", "-o", bm25.toString());
    assertEquals(0, r.code(), r.err());
    // the student's scores of the same pairs, from rerank (the per-query plan, same batch;
    // the tiny student has 128 positions)
    Path reranked = dir.resolve("rerank.run");
    r = CliTest.run("rerank", "--dataset", ds.toString(), "--run", bm25.toString(), "--model",
        student.toString(), "--onnx", student.resolve("model.int8.onnx").toString(),
        "--per-query", "--batch", "32", "--max-length", "128", "-o", reranked.toString());
    assertEquals(0, r.code(), r.err());
    // the rescorer, through bm25 search --rerank
    Path rescored = dir.resolve("rescored.run");
    r = CliTest.run("bm25", "search", "--dataset", ds.toString(), "--index", index.toString(),
        "-k", "20", "--rerank", student.toString(), "--max-length", "128", "-o",
        rescored.toString());
    assertEquals(0, r.code(), r.err());
    Run want = TrecRuns.read(reranked);
    Run got = TrecRuns.read(rescored);
    assertEquals(want.queryIds(), got.queryIds());
    int pairs = 0;
    for (String q : want.queryIds()) {
      List<ScoredDoc> w = want.get(q);
      List<ScoredDoc> g = got.get(q);
      assertEquals(w.size(), g.size(), q);
      for (int i = 0; i < w.size(); i++) {
        assertEquals(w.get(i).docid(), g.get(i).docid(), q + " rank " + (i + 1));
        assertEquals(w.get(i).score(), g.get(i).score(), 0.0, q + " " + w.get(i).docid());
        pairs++;
      }
    }
    assertEquals(80, pairs, "4 queries x their top 20");
    // and not simply BM25's order
    Run first = TrecRuns.read(bm25);
    boolean moved = false;
    for (String q : first.queryIds()) {
      moved |= !first.get(q).stream().map(ScoredDoc::docid).toList().equals(
          got.get(q).stream().map(ScoredDoc::docid).toList());
    }
    assertTrue(moved, "the student reordered some query's hits");

    // disranker search answers one of the queries the same way, with both scores
    Dataset slice = Datasets.open(ds, null);
    String qid = want.queryIds().iterator().next();
    String text = slice.queries().get(qid).text();
    r = CliTest.run("search", "--index", index.toString(), "--model", student.toString(),
        "--query", text, "--candidates", "20", "-k", "5", "--max-length", "128", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode res = JSON.readTree(r.out()).path("results");
    assertEquals(5, res.size());
    Map<String, Double> bm25Scores = new java.util.HashMap<>();
    first.get(qid).forEach(x -> bm25Scores.put(x.docid(), x.score()));
    for (int i = 0; i < 5; i++) {
      assertEquals(want.get(qid).get(i).docid(), res.get(i).path("docid").asText());
      assertEquals((float) want.get(qid).get(i).score(), (float) res.get(i).path("score")
          .asDouble(), 0f);
      assertEquals(bm25Scores.get(res.get(i).path("docid").asText()), res.get(i).path("bm25")
          .asDouble(), 1e-4);
    }

    // explain gives the student's score with the first stage's explanation inside
    try (Bm25Searcher s = new Bm25Searcher(index, Bm25Searcher.DEFAULT_K1,
        Bm25Searcher.DEFAULT_B);
        CrossEncoderRescorer rescorer = CrossEncoderRescorer.open(student,
            CrossEncoderRescorer.options().topN(20).maxLength(128))) {
      TopDocs top = s.searcher().search(s.query(text), 20);
      TopDocs again = rescorer.forQuery(text).rescore(s.searcher(), top, 20);
      ScoreDoc best = again.scoreDocs[0];
      Explanation first1 = s.searcher().explain(s.query(text), best.doc);
      Explanation e = rescorer.forQuery(text).explain(s.searcher(), first1, best.doc);
      assertEquals(best.score, e.getValue().floatValue(), 0f);
      assertEquals(first1, e.getDetails()[0]);
      assertTrue(e.getDescription().contains("first-stage score"), e.getDescription());
    }
  }

  @Test
  void badInputGetsAOneLineErrorAndExitCodeTwo() throws IOException {
    Path notExport = Files.createDirectories(dir.resolve("empty"));
    CliTest.Result r = CliTest.run("search", "--index", dir.resolve("missing").toString(),
        "--query", "wing");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: index not found"), r.err());
    Path ds = cranfieldSlice();
    Path index = dir.resolve("idx");
    assertEquals(0, CliTest.run("bm25", "index", "--corpus", ds.resolve("corpus.jsonl")
        .toString(), "--index", index.toString()).code());
    r = CliTest.run("search", "--index", index.toString(), "--model", notExport.toString(),
        "--query", "wing");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("is not a cross-encoder export"), r.err());
    r = CliTest.run("search", "--index", index.toString(), "--query", "  ");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--query is empty"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }
}
