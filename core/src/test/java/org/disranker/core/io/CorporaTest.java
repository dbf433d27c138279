package org.disranker.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorporaTest {
  @TempDir Path dir;

  Path write(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content);
    return p;
  }

  @Test
  void readsJsonlDocumentsWithAnyUsualFieldNames() throws IOException {
    Map<String, Document> d = Corpora.readDocuments(write("c.jsonl",
        "{\"docid\": \"1\", \"text\": \"alpha\"}\n{\"_id\": \"2\", \"title\": \"T\", \"body\": \"b\"}\n"
            + "\n{\"id\": 3, \"contents\": \"c\"}\n"));
    assertEquals(List.of("1", "2", "3"), List.copyOf(d.keySet()));
    assertEquals(new Document("2", "T", "b"), d.get("2"));
    assertEquals("T b", d.get("2").text());
  }

  @Test
  void readsTsvDocumentsAndQueries() throws IOException {
    Map<String, Document> d = Corpora.readDocuments(write("c.tsv", "1\tbody one\n2\tTitle\tbody\n"));
    assertEquals(new Document("1", "", "body one"), d.get("1"));
    assertEquals(new Document("2", "Title", "body"), d.get("2"));
    Map<String, Query> q = Corpora.readQueries(write("q.tsv", "10\twhat is x\n11\ty\tz\n"));
    assertEquals(new Query("11", "y\tz"), q.get("11"));
    Map<String, Query> qj = Corpora.readQueries(write("q.jsonl", "{\"qid\":\"5\",\"query\":\"hi\"}\n"));
    assertEquals(new Query("5", "hi"), qj.get("5"));
  }

  @Test
  void badJsonNamesFileAndLine() throws IOException {
    Path f = write("c.jsonl", "{\"docid\": \"1\", \"text\": \"a\"}\n{\"docid\": \"2\", \"text\": \n");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> Corpora.readDocuments(f));
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains(f + ":2: bad JSON"), e.getMessage());
  }

  @Test
  void missingFieldIsNamed() throws IOException {
    Path f = write("c.jsonl", "{\"docid\": \"1\"}\n");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> Corpora.readDocuments(f));
    assertTrue(e.getMessage().contains(":1: missing field 'text'"), e.getMessage());
    Path g = write("d.jsonl", "[1, 2]\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Corpora.readDocuments(g))
        .getMessage().contains("expected a JSON object"));
  }

  @Test
  void duplicateIdsNameBothLines() throws IOException {
    Path f = write("q.tsv", "1\ta\n2\tb\n1\tc\n");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> Corpora.readQueries(f));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().contains("duplicate query id '1' (first seen on line 1)"));
    Path g = write("c.tsv", "x\ta\nx\tb\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Corpora.readDocuments(g))
        .getMessage().contains(g + ":2: duplicate document id 'x'"));
  }

  @Test
  void tsvWithoutTabIsRejected() throws IOException {
    Path f = write("q.tsv", "1 what\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Corpora.readQueries(f))
        .getMessage().contains(f + ":1: expected 'qid<TAB>query text'"));
    Path g = write("c.tsv", "1\ta\tb\tc\n");
    assertTrue(assertThrows(InputFormatException.class, () -> Corpora.readDocuments(g))
        .getMessage().contains("found 4 tab-separated fields"));
  }
}
