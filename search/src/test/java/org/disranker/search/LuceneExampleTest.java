package org.disranker.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.disranker.core.io.AtomicFiles;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.bert.BertConfig;
import org.disranker.model.onnx.BertOnnxExporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/LUCENE.md's example: it is this module's LuceneExample, and it runs. */
class LuceneExampleTest {
  @TempDir Path dir;

  /** A tiny random student exported as the pipeline exports its final folder. */
  Path tinyExport() {
    BertCheckpoint c = BertCheckpoint.random(new BertConfig(30522, 32, 2, 2, 64, 512, 2, 1e-12),
        7, BertCheckpoint.minilmTokenizer());
    Path out = dir.resolve("final");
    c.save(out);
    for (boolean int8 : new boolean[] {false, true}) {
      byte[] onnx = BertOnnxExporter.export(c, int8);
      AtomicFiles.writeBytes(out.resolve(int8 ? "model.int8.onnx" : "model.onnx"),
          os -> os.write(onnx));
    }
    return out;
  }

  @Test
  void theExampleRunsAndRanksEveryHitWithBothScores() throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      LuceneExample.main(new String[] {tinyExport().toString()});
    } finally {
      System.setOut(old);
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    // "lift" and "airplane" match p1 and p2; the stock-market passage is no BM25 hit
    assertEquals(2, lines.size(), String.join("\n", lines));
    assertTrue(lines.stream().allMatch(l -> l.matches("p[12] -?\\d+\\.\\d{4} cross-encoder score"
        + ".*first-stage score .*")), String.join("\n", lines));
    double first = Double.parseDouble(lines.get(0).split(" ")[1]);
    double second = Double.parseDouble(lines.get(1).split(" ")[1]);
    assertTrue(first >= second, "sorted by the model's score");
  }

  @Test
  void docsShowTheExampleAsItIs() throws Exception {
    Path src = Path.of("src/test/java/org/disranker/search/LuceneExample.java");
    Path doc = Path.of("../docs/LUCENE.md");
    String code = Files.readString(src);
    code = code.substring(code.indexOf("// example:begin\n") + "// example:begin\n".length());
    String md = Files.readString(doc);
    assertTrue(md.contains("```java\n" + code + "```"), doc + " must show " + src
        + " from its 'example:begin' line, as it is");
  }
}
