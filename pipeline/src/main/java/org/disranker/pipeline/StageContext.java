package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.io.JsonFiles;

/**
 * What every stage kind of the ranking pipeline shares: the stage runner (run directory, skip and
 * resume) and the config file with the data folder its paths are relative to.
 */
abstract class StageContext {
  final StageRunner runner;
  final Path data;
  final JsonNode cfg;
  final Path configFile;

  StageContext(StageRunner runner, Path data, Path configFile) {
    this.runner = runner;
    this.data = data;
    this.configFile = configFile;
    this.cfg = JsonFiles.read(configFile);
  }

  StageContext(StageContext c) {
    this.runner = c.runner;
    this.data = c.data;
    this.cfg = c.cfg;
    this.configFile = c.configFile;
  }

  /** A path of the config, relative to the data folder. */
  Path dataPath(String value) {
    return data.resolve(value).normalize();
  }

  /** The path a required top-level key of the config names. */
  Path required(String key) {
    JsonNode v = cfg.get(key);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(configFile + ": missing '" + key + "'");
    }
    return dataPath(v.asText());
  }

  /** The paths of a config array. */
  List<Path> paths(JsonNode array) {
    List<Path> out = new ArrayList<>();
    array.forEach(v -> out.add(dataPath(v.asText())));
    return out;
  }

  /** A config object as the map a stage manifest records (values as JSON text). */
  static Map<String, Object> asMap(JsonNode n) {
    Map<String, Object> m = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().toString()));
    return m;
  }

  /** The run's embedding store: every bi-encoder vector any stage computed, by text. */
  Path embeddings() {
    return runner.runDir().resolve("embeddings");
  }
}
