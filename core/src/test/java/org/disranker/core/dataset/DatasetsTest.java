package org.disranker.core.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.disranker.core.data.Document;
import org.disranker.core.data.ScoredDoc;
import org.disranker.core.io.InputFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The readers on small fixtures written here, in each collection's own layout. */
class DatasetsTest {
  @TempDir Path dir;

  void write(String name, String content) throws IOException {
    Files.writeString(dir.resolve(name), content);
  }

  void trecDl() throws IOException {
    write("queries.tsv", "1\tfirst query\n2\tsecond query\n");
    write("passages.jsonl", "{\"docid\": \"a\", \"text\": \"A\"}\n{\"docid\": \"b\", \"text\": \"B\"}\n"
        + "{\"docid\": \"c\", \"text\": \"C\"}\n");
    write("qrels.txt", "1 0 a 3\n1 0 c 0\n");
  }

  @Test
  void trecDlFirstStageIsTheBm25RowsOrderedByRank() throws IOException {
    trecDl();
    write("candidates.tsv", TrecDl.HEADER + "\n"
        + "1\tc\t2\t5.5\tBM25\t0\n1\tb\t\t\tSPLADE\t\n1\ta\t1\t7.25\tBM25,SPLADE\t3\n"
        + "2\tb\t1\t1.0\tBM25\t\n");
    Dataset d = Datasets.open(dir, null);
    assertEquals(2, d.queries().size());
    assertEquals(new Document("a", "", "A"), d.documents().get("a"));
    assertEquals(List.of(new ScoredDoc("a", 7.25, 1), new ScoredDoc("c", 5.5, 2)),
        d.firstStage().get("1"));
    assertEquals(List.of("c", "b", "a"), d.pool().get("1"));
    assertEquals(3, d.qrels().grade("1", "a"));
  }

  @Test
  void trecDlCandidateWithUnknownQueryOrPassageFails() throws IOException {
    trecDl();
    write("candidates.tsv", TrecDl.HEADER + "\n1\ta\t1\t7\tBM25\t\n9\ta\t1\t7\tBM25\t\n");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> Datasets.open(dir, null));
    assertTrue(e.getMessage().endsWith("candidates.tsv:3: unknown query id '9'"), e.getMessage());
    write("candidates.tsv", TrecDl.HEADER + "\n1\tz\t1\t7\tBM25\t\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Datasets.open(dir, null))
        .getMessage().contains("candidates.tsv:2: document 'z' is not in passages.jsonl"));
    write("candidates.tsv", TrecDl.HEADER + "\n1\ta\tfirst\t7\tBM25\t\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Datasets.open(dir, null))
        .getMessage().contains("candidates.tsv:2: bm25_rank is not an integer"));
  }

  @Test
  void cranfieldMapsGradesAndNumbersQueriesInFileOrder() throws IOException {
    write("cran.all.1400", ".I 1\n.T\nwing flow\n.A\nsomeone\n.B\nj. 1\n.W\nwing flow\n  study of"
        + " lift .\n.I 2\n.T\nshear\n.W\nshear flow past a plate .\n");
    write("cran.qry", ".I 001\n.W\nlift of wings .\n.I 004\n.W\nplate\nflow .\n");
    write("cranqrel", "1 1 1 \n1 2 -1\n2 2 4\n2 1 3\n");
    Dataset d = Datasets.open(dir, null);
    assertEquals(new Document("1", "wing flow", "wing flow study of lift ."), d.documents().get("1"));
    assertEquals("plate flow .", d.queries().get("2").text());
    assertEquals(4, d.qrels().grade("1", "1"));
    assertEquals(0, d.qrels().grade("1", "2"));
    assertEquals(1, d.qrels().grade("2", "2"));
    assertEquals(2, d.qrels().grade("2", "1"));
    assertNull(d.firstStage());
    assertTrue(d.notes().contains(Cranfield.GRADE_MAPPING));
  }

  @Test
  void cranfieldRejectsUnknownCodesWithLine() throws IOException {
    write("cran.all.1400", ".I 1\n.W\nx\n");
    write("cran.qry", ".I 1\n.W\ny\n");
    write("cranqrel", "1 1 1\n1 1 7\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Datasets.open(dir, null))
        .getMessage().contains("cranqrel:2: unknown relevance code 7"));
  }

  @Test
  void nfCorpusUnitesDocumentFilesAndKeepsTheSplitsJudgments() throws IOException {
    write("dev.docs", "MED-1\tone\nMED-2\ttwo\n");
    write("test.docs", "MED-2\ttwo\nMED-3\tthree\n");
    write("test.titles.queries", "PLAIN-1\tq one\n");
    write("test.vid-desc.queries", "PLAIN-2\tq two\n");
    write("test.2-1-0.qrel", "PLAIN-1\t0\tMED-3\t2\nPLAIN-2\t0\tMED-1\t1\n");
    Dataset d = Datasets.open(dir, null);
    assertEquals(3, d.documents().size());
    assertEquals(List.of("PLAIN-1"), List.copyOf(d.qrels().queryIds()));
    Dataset v = Datasets.open(dir, "test/vid-desc");
    assertEquals(List.of("PLAIN-2"), List.copyOf(v.qrels().queryIds()));
    assertThrows(IllegalArgumentException.class, () -> Datasets.open(dir, "holdout"));
    write("test.docs", "MED-2\tchanged\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Datasets.open(dir, null))
        .getMessage().contains("differs"));
  }

  @Test
  void genericFolderAndUnknownFolder() throws IOException {
    assertThrows(IllegalArgumentException.class, () -> Datasets.open(dir, null));
    write("corpus.jsonl", "{\"id\":\"d1\",\"title\":\"t\",\"text\":\"x\"}\n");
    write("queries.tsv", "q1\thello\n");
    write("qrels.txt", "q1 0 d1 1\n");
    write("run.txt", "q1 Q0 d1 1 3.0 bm25\n");
    Dataset d = Datasets.open(dir, null);
    assertEquals(1, d.firstStage().size());
    assertThrows(IllegalArgumentException.class, () -> Datasets.open(dir, "test"));
    write("run.txt", "q2 Q0 d1 1 3.0 bm25\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Datasets.open(dir, null))
        .getMessage().contains("run.txt:1: unknown query id 'q2'"));
  }
}
