package org.disranker.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;

/**
 * Generic corpora and query sets, chosen by file name ending.
 *
 * <ul>
 *   <li>Documents, {@code .jsonl}: one object a line with an id ({@code docid}, {@code id} or
 *       {@code _id}), an optional {@code title} and a text ({@code text}, {@code body} or {@code
 *       contents}).
 *   <li>Documents, {@code .tsv}: {@code docid<TAB>text} or {@code docid<TAB>title<TAB>text}.
 *   <li>Queries, {@code .jsonl}: an id ({@code qid}, {@code id} or {@code _id}) and a text ({@code
 *       query} or {@code text}).
 *   <li>Queries, {@code .tsv} (or any other ending): {@code qid<TAB>text}.
 * </ul>
 *
 * An id seen twice is an error naming both lines.
 */
public final class Corpora {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Corpora() {}

  /** Reads documents from a JSONL or TSV file, keeping file order. */
  public static Map<String, Document> readDocuments(Path file) {
    boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
    Map<String, Document> docs = new LinkedHashMap<>();
    Map<String, Long> firstLine = new HashMap<>();
    Lines.forEach(file, (n, line) -> {
      if (line.isBlank()) {
        return;
      }
      Document d;
      if (jsonl) {
        JsonNode o = parseObject(file, n, line);
        d = new Document(
            requiredText(file, n, o, "docid", "id", "_id"),
            optionalText(o, "title"),
            requiredText(file, n, o, "text", "body", "contents"));
      } else {
        String[] f = line.split("\t", -1);
        if (f.length == 2) {
          d = new Document(f[0].strip(), "", f[1].strip());
        } else if (f.length == 3) {
          d = new Document(f[0].strip(), f[1].strip(), f[2].strip());
        } else {
          throw new InputFormatException(file, n,
              "expected 'docid<TAB>text' or 'docid<TAB>title<TAB>text', found " + f.length
                  + " tab-separated fields");
        }
        if (d.id().isEmpty()) {
          throw new InputFormatException(file, n, "empty document id");
        }
      }
      Long prev = firstLine.putIfAbsent(d.id(), n);
      if (prev != null) {
        throw new InputFormatException(file, n,
            "duplicate document id '" + d.id() + "' (first seen on line " + prev + ")");
      }
      docs.put(d.id(), d);
    });
    return docs;
  }

  /** Reads queries from a JSONL or TSV file, keeping file order. */
  public static Map<String, Query> readQueries(Path file) {
    boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
    Map<String, Query> queries = new LinkedHashMap<>();
    Map<String, Long> firstLine = new HashMap<>();
    Lines.forEach(file, (n, line) -> {
      if (line.isBlank()) {
        return;
      }
      Query q;
      if (jsonl) {
        JsonNode o = parseObject(file, n, line);
        q = new Query(requiredText(file, n, o, "qid", "id", "_id"),
            requiredText(file, n, o, "query", "text"));
      } else {
        int tab = line.indexOf('\t');
        if (tab < 0) {
          throw new InputFormatException(file, n, "expected 'qid<TAB>query text', found no tab");
        }
        q = new Query(line.substring(0, tab).strip(), line.substring(tab + 1).strip());
        if (q.id().isEmpty()) {
          throw new InputFormatException(file, n, "empty query id");
        }
      }
      Long prev = firstLine.putIfAbsent(q.id(), n);
      if (prev != null) {
        throw new InputFormatException(file, n,
            "duplicate query id '" + q.id() + "' (first seen on line " + prev + ")");
      }
      queries.put(q.id(), q);
    });
    return queries;
  }

  static JsonNode parseObject(Path file, long n, String line) {
    JsonNode o;
    try {
      o = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new InputFormatException(file, n, "bad JSON: " + e.getOriginalMessage());
    }
    if (o == null || !o.isObject()) {
      throw new InputFormatException(file, n, "expected a JSON object");
    }
    return o;
  }

  /** The first present field among the names, as text; missing or non-scalar is an error. */
  static String requiredText(Path file, long n, JsonNode o, String... names) {
    for (String name : names) {
      JsonNode v = o.get(name);
      if (v != null && !v.isNull()) {
        if (!v.isValueNode()) {
          throw new InputFormatException(file, n, "field '" + name + "' must be a string");
        }
        String s = v.asText();
        if (s.isBlank() && names[0].endsWith("id")) {
          throw new InputFormatException(file, n, "empty '" + name + "'");
        }
        return s;
      }
    }
    throw new InputFormatException(file, n,
        "missing field '" + names[0] + "'" + (names.length > 1
            ? " (also accepted: " + String.join(", ", java.util.Arrays.asList(names).subList(1,
                names.length)) + ")" : ""));
  }

  static String optionalText(JsonNode o, String name) {
    JsonNode v = o.get(name);
    return v == null || v.isNull() ? "" : v.asText();
  }
}
