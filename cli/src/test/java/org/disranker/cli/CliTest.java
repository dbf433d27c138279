package org.disranker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.disranker.core.util.Progress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands end to end on small files written here. */
class CliTest {
  @TempDir Path dir;

  /** Exit code, standard output and error output of one invocation. */
  record Result(int code, String out, String err) {}

  @BeforeAll
  static void quiet() {
    Progress.setQuiet(true);
  }

  static Result run(String... args) {
    PrintStream oldOut = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      CommandLine cl = Main.commandLine(new Main(), args);
      cl.setErr(new PrintWriter(err, true));
      int code = cl.execute(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(oldOut);
    }
  }

  Path write(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    return p;
  }

  /** Two queries; run "good" ranks the relevant documents first, "bad" last. */
  void fixture() throws IOException {
    write("qrels.txt", "q1 0 a 2\nq1 0 b 0\nq1 0 c 1\nq2 0 x 1\nq2 0 y 0\n");
    write("good.run", "q1 Q0 a 1 3 g\nq1 Q0 c 2 2 g\nq1 Q0 b 3 1 g\nq2 Q0 x 1 2 g\nq2 Q0 y 2 1 g\n");
    write("bad.run", "q1 Q0 b 1 3 b\nq1 Q0 c 2 2 b\nq1 Q0 a 3 1 b\nq2 Q0 y 1 2 b\nq2 Q0 x 2 1 b\n");
  }

  @Test
  void evalPrintsMetricsAndWritesJson() throws IOException {
    fixture();
    Path json = dir.resolve("out/eval.json");
    Result r = run("eval", "--qrels", dir.resolve("qrels.txt").toString(), "--run",
        dir.resolve("good.run").toString(), "-m", "ndcg@10,pnr", "--json", json.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("1.0000"), r.out());
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertEquals(1.0, j.at("/runs/0/summary/ndcg@10").asDouble(), 1e-12);
    assertEquals("inf", j.at("/runs/0/summary/pnr").asText());
    assertEquals(1.0, j.at("/runs/0/perQuery/ndcg@10/q2").asDouble(), 1e-12);
  }

  @Test
  void twoRunsAreComparedWithGsbAndRecordedInMarkdown() throws IOException {
    fixture();
    Path md = write("RESULTS.md", "# Results\n\nhand-written text stays\n");
    Result r = run("eval", "--qrels", dir.resolve("qrels.txt").toString(), "--run",
        dir.resolve("good.run").toString(), "--run", dir.resolve("bad.run").toString(), "-m",
        "ndcg@10", "--record", md.toString(), "--record-name", "toy");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("against bad.run"), r.out());
    // good beats bad on both queries: G/S/B 2/0/0, ΔGSB +1
    assertTrue(r.out().contains("2/0/0"), r.out());
    assertTrue(r.out().contains("+1.0000"), r.out());
    String text = Files.readString(md);
    assertTrue(text.startsWith("# Results\n\nhand-written text stays\n"));
    assertTrue(text.contains("<!-- BEGIN toy -->"));
    assertTrue(text.contains("```\ndisranker eval --qrels " + dir.resolve("qrels.txt")), text);
    assertTrue(text.contains("| good.run | 2 | 1.0000 |"), text);
  }

  @Test
  void runsCanBeNamedForTheTables() throws IOException {
    fixture();
    Result r = run("eval", "--qrels", dir.resolve("qrels.txt").toString(), "--run",
        "teacher=" + dir.resolve("good.run"), "--baseline", "student=" + dir.resolve("bad.run"),
        "-m", "ndcg@10");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("teacher\n  against student"), r.out());
    assertTrue(!r.out().contains("good.run"), r.out());
  }

  @Test
  void malformedRunFailsWithFileAndLineAndWritesNothing() throws IOException {
    fixture();
    Path broken = write("broken.run", "q1 Q0 a 1 3 g\nq1 Q0 c two 2 g\n");
    Path json = dir.resolve("eval.json");
    Result r = run("eval", "--qrels", dir.resolve("qrels.txt").toString(), "--run",
        broken.toString(), "--json", json.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("error: " + broken + ":2: rank is not an integer: 'two'"), r.err());
    assertFalse(Files.exists(json));
  }

  @Test
  void runNamingAnUnknownQueryFailsUnlessAllowed() throws IOException {
    fixture();
    Path extra = write("extra.run", "q1 Q0 a 1 3 g\nq7 Q0 a 1 3 g\n");
    Result r = run("eval", "--qrels", dir.resolve("qrels.txt").toString(), "--run",
        extra.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains(extra + ":2: unknown query id 'q7'"), r.err());
    Result ok = run("eval", "--qrels", dir.resolve("qrels.txt").toString(), "--run",
        extra.toString(), "--allow-unknown-queries", "-m", "ndcg@10");
    assertEquals(0, ok.code(), ok.err());
  }

  @Test
  void evalNeedsExactlyOneSourceOfJudgments() throws IOException {
    fixture();
    Result r = run("eval", "--run", dir.resolve("good.run").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--qrels FILE or --dataset DIR"), r.err());
  }

  @Test
  void bm25IndexSearchAndEvalOnAGenericDataset() throws IOException {
    write("ds/corpus.jsonl", "{\"id\": \"d1\", \"title\": \"Wings\", \"text\": \"lift of wings\"}\n"
        + "{\"id\": \"d2\", \"text\": \"heat transfer in plates\"}\n"
        + "{\"id\": \"d3\", \"text\": \"boundary layer over a flat plate\"}\n");
    write("ds/queries.tsv", "1\twing lift\n2\tflat plate boundary layer\n");
    write("ds/qrels.txt", "1 0 d1 2\n2 0 d3 1\n2 0 d2 0\n");
    Path ds = dir.resolve("ds");
    Path index = dir.resolve("idx");
    Path runFile = dir.resolve("bm25.run");
    assertEquals(0, run("bm25", "index", "--dataset", ds.toString(), "--index", index.toString())
        .code());
    Result s = run("bm25", "search", "--dataset", ds.toString(), "--index", index.toString(), "-k",
        "2", "-o", runFile.toString());
    assertEquals(0, s.code(), s.err());
    List<String> lines = Files.readAllLines(runFile);
    assertEquals("1 Q0 d1 1", lines.get(0).substring(0, 9));
    Result e = run("eval", "--dataset", ds.toString(), "--run", runFile.toString(), "-m",
        "ndcg@10");
    assertEquals(0, e.code(), e.err());
    assertTrue(e.out().contains("1.0000"), e.out());
  }

  @Test
  void dataExportRunNeedsAFirstStage() throws IOException {
    write("ds/corpus.jsonl", "{\"id\": \"d1\", \"text\": \"x\"}\n");
    write("ds/queries.tsv", "1\tx\n");
    Result r = run("data", "export-run", "--dataset", dir.resolve("ds").toString(), "-o",
        dir.resolve("r.txt").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("has no first-stage run"), r.err());
  }

  @Test
  void unknownSubcommandOrOptionIsAUsageError() {
    assertEquals(2, run("evaluate").code());
    assertEquals(2, run("eval", "--nope").code());
  }

  /** serve refuses a key it cannot use before it loads a model (the paths need not exist). */
  @Test
  void serveRefusesAnEmptyApiKeyAndMetricsAuthWithoutAKey() {
    Result empty = run("serve", "--model", "no-such-model", "--onnx", "no.onnx", "--api-key",
        "");
    assertEquals(2, empty.code(), empty.err());
    assertTrue(empty.err().contains("API key is empty"), empty.err());
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("DISRANKER_API_KEY") == null);
    Result noKey = run("serve", "--model", "no-such-model", "--onnx", "no.onnx",
        "--metrics-auth");
    assertEquals(2, noKey.code(), noKey.err());
    assertTrue(noKey.err().contains("--metrics-auth needs an API key"), noKey.err());
  }
}
