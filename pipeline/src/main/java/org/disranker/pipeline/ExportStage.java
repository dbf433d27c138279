package org.disranker.pipeline;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.disranker.core.io.AtomicFiles;
import org.disranker.model.bert.BertCheckpoint;
import org.disranker.model.onnx.BertOnnxExporter;

/**
 * The {@code final} stage: the last phase's student exported as a standard
 * {@code BertForSequenceClassification} folder (Hugging Face files, ONNX fp32 and int8), the folder
 * that {@code rerank}, {@code serve}, {@code search} and {@code spark score} take as it is.
 */
final class ExportStage extends StageContext {
  ExportStage(StageContext c) {
    super(c);
  }

  /** Exports the model of the last distillation phase. */
  StageRunner.Result run(StageRunner.Result last) {
    return runner.run("final", Map.of("from", last.name()), List.of(last.dir()), dir -> {
      export(last.dir().resolve("model"), dir);
      return Map.of("from", last.name());
    });
  }

  /** Writes a student folder: the Hugging Face files and both ONNX models. */
  static void export(Path model, Path out) {
    BertCheckpoint c = BertCheckpoint.load(model);
    c.save(out);
    for (boolean int8 : new boolean[] {false, true}) {
      byte[] onnx = BertOnnxExporter.export(c, int8);
      AtomicFiles.writeBytes(out.resolve(int8 ? "model.int8.onnx" : "model.onnx"),
          os -> os.write(onnx));
    }
  }
}
