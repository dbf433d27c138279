package org.disranker.core.clicks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.disranker.core.io.AtomicFiles;
import org.disranker.core.io.InputFormatException;
import org.disranker.core.io.Lines;

/**
 * Click logs as JSONL: {@code {"query": ..., "title": ..., "summary": ..., "count": n}}, with
 * optional {@code qid} and {@code docid}; {@code count} defaults to 1.
 */
public final class ClickLogs {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ClickLogs() {}

  public static List<ClickRecord> read(Path file) {
    List<ClickRecord> out = new ArrayList<>();
    Lines.forEach(file, (n, line) -> {
      if (line.isBlank()) {
        return;
      }
      JsonNode o;
      try {
        o = JSON.readTree(line);
      } catch (java.io.IOException e) {
        throw new InputFormatException(file, n, "bad JSON: " + e.getMessage().split("\n")[0]);
      }
      if (o == null || !o.isObject()) {
        throw new InputFormatException(file, n, "expected a JSON object");
      }
      for (String f : new String[] {"query", "summary"}) {
        if (!o.hasNonNull(f) || !o.get(f).isTextual()) {
          throw new InputFormatException(file, n, "missing text field '" + f + "'");
        }
      }
      int count = 1;
      if (o.has("count")) {
        if (!o.get("count").canConvertToInt() || o.get("count").asInt() < 1) {
          throw new InputFormatException(file, n, "count must be a positive integer");
        }
        count = o.get("count").asInt();
      }
      out.add(new ClickRecord(o.path("qid").asText(""), o.get("query").asText(),
          o.path("docid").asText(""), o.path("title").asText(""), o.get("summary").asText(),
          count));
    });
    return out;
  }

  public static void write(Path file, List<ClickRecord> records) {
    AtomicFiles.write(file, w -> {
      for (ClickRecord r : records) {
        ObjectNode o = JSON.createObjectNode();
        o.put("qid", r.qid());
        o.put("query", r.query());
        o.put("docid", r.docid());
        o.put("title", r.title());
        o.put("summary", r.summary());
        o.put("count", r.count());
        w.write(JSON.writeValueAsString(o));
        w.write('\n');
      }
    });
  }
}
