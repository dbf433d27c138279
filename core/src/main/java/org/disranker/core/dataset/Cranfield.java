package org.disranker.core.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Qrels;
import org.disranker.core.data.Query;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.Lines;

/**
 * The Cranfield collection: {@code cran.all.1400} (fields {@code .I .T .A .B .W}), {@code cran.qry}
 * ({@code .I .W}) and {@code cranqrel} ({@code query doc grade}).
 *
 * <p>Documents keep {@code .T} as title and {@code .W} as body. Queries are numbered 1..225 in
 * file order, as the qrels number them (the {@code .I} numbers of cran.qry skip). Grades map to
 * gains by Cleverdon's scale reversed: {@value #GRADE_MAPPING}.
 */
public final class Cranfield {
  /** The mapping from Cleverdon's relevance codes to gains used by this reader. */
  public static final String GRADE_MAPPING = "1->4, 2->3, 3->2, 4->1, -1->0";

  private Cranfield() {}

  public static boolean matches(Path dir) {
    return Files.isRegularFile(dir.resolve("cran.all.1400"));
  }

  public static Dataset load(Path dir) {
    Map<String, Document> docs = new LinkedHashMap<>();
    Path docFile = dir.resolve("cran.all.1400");
    Map<String, Long> docLine = new HashMap<>();
    for (Record r : records(docFile)) {
      Long prev = docLine.putIfAbsent(r.id, r.line);
      if (prev != null) {
        throw new InputFormatException(docFile, r.line, "duplicate document id '" + r.id
            + "' (first seen on line " + prev + ")");
      }
      docs.put(r.id, new Document(r.id, r.fields.getOrDefault("T", ""),
          r.fields.getOrDefault("W", "")));
    }
    Map<String, Query> queries = new LinkedHashMap<>();
    int number = 0;
    for (Record r : records(dir.resolve("cran.qry"))) {
      number++;
      String id = Integer.toString(number);
      queries.put(id, new Query(id, r.fields.getOrDefault("W", "")));
    }
    Path qrelFile = dir.resolve("cranqrel");
    Qrels.Builder b = Qrels.builder();
    Lines.forEach(qrelFile, (n, line) -> {
      String[] f = Lines.fields(line);
      if (f.length == 0) {
        return;
      }
      if (f.length != 3) {
        throw new InputFormatException(qrelFile, n, "expected 3 fields 'query doc grade', found "
            + f.length);
      }
      int code = Lines.parseInt(qrelFile, n, "grade", f[2]);
      int gain = switch (code) {
        case 1 -> 4;
        case 2 -> 3;
        case 3 -> 2;
        case 4 -> 1;
        case -1, 5 -> 0;
        default -> throw new InputFormatException(qrelFile, n, "unknown relevance code " + code
            + " (expected 1..5 or -1)");
      };
      if (!queries.containsKey(f[0])) {
        throw new InputFormatException(qrelFile, n, "unknown query number " + f[0]);
      }
      if (!docs.containsKey(f[1])) {
        throw new InputFormatException(qrelFile, n, "unknown document " + f[1]);
      }
      if (!b.add(f[0], f[1], gain)) {
        throw new InputFormatException(qrelFile, n, "duplicate judgment for query " + f[0]
            + ", document " + f[1]);
      }
    });
    return new Dataset("cranfield", queries, docs, b.build(), null, Map.of(),
        "Cranfield 1400; title + abstract; grade mapping " + GRADE_MAPPING);
  }

  private record Record(String id, long line, Map<String, String> fields) {}

  /** Splits a SMART-style file into records of {@code .X} fields, whitespace folded. */
  private static List<Record> records(Path file) {
    SmartParser p = new SmartParser(file);
    Lines.forEach(file, p::accept);
    p.finishRecord();
    return p.records;
  }

  private static final class SmartParser {
    final Path file;
    final List<Record> records = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    String id;
    long idLine;
    Map<String, String> fields;
    String field;

    SmartParser(Path file) {
      this.file = file;
    }

    void accept(long n, String line) {
      if (line.startsWith(".I")) {
        finishRecord();
        String number = line.substring(2).strip();
        if (number.isEmpty()) {
          throw new InputFormatException(file, n, "'.I' without a number");
        }
        id = Integer.toString(Lines.parseInt(file, n, ".I number", number));
        idLine = n;
        fields = new LinkedHashMap<>();
      } else if (line.length() == 2 && line.charAt(0) == '.' && Character.isLetter(line.charAt(1))) {
        if (id == null) {
          throw new InputFormatException(file, n, "field " + line + " before the first '.I'");
        }
        finishField();
        field = line.substring(1);
      } else if (field == null) {
        if (!line.isBlank()) {
          throw new InputFormatException(file, n, "text outside a field");
        }
      } else {
        text.append(line).append(' ');
      }
    }

    void finishField() {
      if (field != null) {
        fields.put(field, text.toString().strip().replaceAll("\\s+", " "));
      }
      field = null;
      text.setLength(0);
    }

    void finishRecord() {
      finishField();
      if (id != null) {
        records.add(new Record(id, idLine, fields));
      }
      id = null;
    }
  }
}
