package org.disranker.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/** Reading JSON configuration files with errors that name the file and the key. */
public final class JsonFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonFiles() {}

  public static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new InputFormatException(file, "bad JSON: " + e.getMessage().split("\n")[0]);
    }
  }

  /** An integer field that must be present. */
  public static int requiredInt(Path file, JsonNode o, String key) {
    JsonNode v = o.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new InputFormatException(file, "missing or non-integer '" + key + "'");
    }
    return v.asInt();
  }
}
