package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.disranker.core.data.Document;
import org.disranker.core.data.Query;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.core.io.Corpora;
import org.disranker.retrieval.PoolBuilder;

/**
 * The {@code pool} stage: the unlabeled pool, queries (the MS MARCO dev queries) with the first
 * stage's top k over the passages held here, the test collection's queries and passages kept
 * out.
 */
final class PoolStage extends StageContext {
  PoolStage(StageContext c) {
    super(c);
  }

  /** The unlabeled pool. */
  StageRunner.Result run(long seed) {
    JsonNode p = cfg.path("pool");
    Map<String, Object> c = asMap(p);
    c.put("seed", seed);
    List<Path> queryFiles = paths(p.path("queries"));
    List<Path> queryDatasets = paths(p.path("queriesOf"));
    List<Path> corpora = paths(p.path("corpus"));
    List<Path> excluded = paths(p.path("exclude"));
    List<Path> inputs = new ArrayList<>(queryFiles);
    inputs.addAll(queryDatasets);
    inputs.addAll(corpora);
    inputs.addAll(excluded);
    PoolBuilder.FirstStage firstStage = DenseFirstStage.of(configFile + ": pool.firstStage",
        p.path("firstStage").asText("bm25"), p.path("firstStageMaxLength").asInt(192), 0,
        embeddings());
    return runner.run("pool", c, inputs, dir -> {
      Map<String, Query> queries = new LinkedHashMap<>();
      for (Path f : queryFiles) {
        queries.putAll(Corpora.readQueries(f));
      }
      for (Path ds : queryDatasets) {
        queries.putAll(Datasets.open(ds, null).queries());
      }
      List<Document> corpus = new ArrayList<>();
      for (Path ds : corpora) {
        corpus.addAll(Datasets.open(ds, null).documents().values());
      }
      List<Query> exQ = new ArrayList<>();
      java.util.Set<String> exD = new java.util.HashSet<>();
      for (Path ds : excluded) {
        Dataset d = Datasets.open(ds, null);
        exQ.addAll(d.queries().values());
        exD.addAll(d.documents().keySet());
      }
      Map<String, Object> sources = new LinkedHashMap<>(c);
      PoolBuilder.Result r = PoolBuilder.build(queries, p.path("maxQueries").asInt(0), seed,
          corpus, exQ, exD, p.path("k").asInt(20), p.path("random").asInt(0), sources, dir,
          firstStage);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("queries", r.queries());
      m.put("pairs", r.pairs());
      m.put("passages", r.passages());
      m.put("excludedQueries", r.excludedQueries());
      m.put("excludedPassages", r.excludedPassages());
      return m;
    });
  }
}
