package org.disranker.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.train.Validation;

/**
 * The ranking stages of the pipeline, from one JSON config (see {@code config/pipeline.json}
 * and docs/PIPELINE.md for every key):
 *
 * <ol>
 *   <li>{@code pool}: an unlabeled pool, queries (the MS MARCO dev queries) with the BM25 top k
 *       over the passages held here, the test collection's queries and passages kept out;
 *   <li>{@code teacher/NAME}: each teacher of the ensemble scores the pool (zero-shot bi-encoders,
 *       through the pool scorer that {@code spark score} shares; resumable);
 *   <li>{@code student/distill-N}: the student distilled from the ensemble, phase by phase, each
 *       phase starting from the last, with a learning curve on the validation collection;
 *   <li>{@code final}: the last phase's student exported (Hugging Face folder, ONNX fp32 and int8),
 *       the folder that {@code rerank}, {@code serve} and {@code spark score} take as it is;
 *   <li>{@code student/finetune}: the paper's baseline, the student fine-tuned on labels;
 *   <li>optionally the decoder teacher's stages ({@link TeacherStages});
 *   <li>{@code rerank/TEST}: the test collection's first-stage top k reranked by every model, and
 *       the report: the table, ΔGSB and p-values, the learning curve, the losses and the score
 *       distributions (the paper's Figure 4).
 * </ol>
 */
public final class RankingStages {
  private final StageContext ctx;

  public RankingStages(StageRunner runner, Path data, Path configFile) {
    this.ctx = new StageContext(runner, data, configFile) {};
  }

  /** Runs the stages; returns the report section. */
  public String run() {
    JsonNode cfg = ctx.cfg;
    Path testDir = ctx.required("test");
    long seed = cfg.path("seed").asLong(42);
    int topK = cfg.path("topK").asInt(100);
    int maxLength = cfg.path("maxLength").asInt(256);

    TeacherStage teacherStage = new TeacherStage(ctx);
    StageRunner.Result pool = cfg.has("pool") ? new PoolStage(ctx).run(seed) : null;
    Map<String, StageRunner.Result> teachers = new LinkedHashMap<>();
    if (pool != null) {
      for (JsonNode t : cfg.path("teachers")) {
        teachers.put(t.path("model").asText(), teacherStage.scorePool(t, pool));
      }
      if (teachers.isEmpty()) {
        throw new IllegalArgumentException(ctx.configFile + ": no 'teachers' for the pool");
      }
    }
    Map<String, ListSources.ListSource> lists = new ListSources(ctx, teacherStage).run(testDir);
    if (pool == null && lists.isEmpty()) {
      throw new IllegalArgumentException(ctx.configFile + ": neither a 'pool' nor 'lists' to"
          + " learn from");
    }
    // the bi-encoders that taught, each shown as a ranker of the test collection
    Set<String> teacherModels = new LinkedHashSet<>(teachers.keySet());
    lists.values().forEach(l -> teacherModels.addAll(l.models()));
    DistillStage distill = new DistillStage(ctx, teacherStage);
    List<StageRunner.Result> phases = distill.run(pool, teachers, lists, seed);
    StageRunner.Result fin = new ExportStage(ctx).run(phases.get(phases.size() - 1));
    StageRunner.Result ft = cfg.has("finetune") ? distill.finetune(seed) : null;
    JsonNode tc = cfg.get("decoderTeacher");
    TeacherStages.Outputs decoder = tc == null ? null : new TeacherStages(ctx.runner, tc, seed)
        .run(ctx.required("train"), testDir, topK);
    RerankStage.Outputs rr = new RerankStage(ctx).run(testDir, topK, maxLength, teacherModels,
        fin, ft);
    return new Report(ctx).write(testDir, rr, teacherModels, pool, lists, phases, ft, decoder);
  }

  /** The validation scorer of the distillation phases (see {@link DistillStage#int8Scorer}). */
  public static Validation.CloseableScorer int8Scorer(BertCheckpoint c) {
    return DistillStage.int8Scorer(c);
  }
}
