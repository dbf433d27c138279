package org.disranker.serve;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.disranker.model.bert.Batch;
import org.disranker.model.bert.PairScorer;

/**
 * Scores pairs with an ONNX cross-encoder (inputs input_ids, attention_mask, token_type_ids;
 * output logits [batch, 1]) on ONNX Runtime, with all graph optimizations and one intra-op
 * thread per core by default.
 */
public final class OnnxScorer implements PairScorer, AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;

  private OnnxScorer(OrtSession session) {
    this.session = session;
  }

  public static OnnxScorer load(Path model, int threads) {
    try {
      return new OnnxScorer(OrtEnvironment.getEnvironment().createSession(model.toString(),
          options(threads)));
    } catch (OrtException e) {
      throw new IllegalArgumentException("cannot load ONNX model " + model + ": "
          + e.getMessage(), e);
    }
  }

  public static OnnxScorer load(byte[] model, int threads) {
    try {
      return new OnnxScorer(OrtEnvironment.getEnvironment().createSession(model,
          options(threads)));
    } catch (OrtException e) {
      throw new IllegalArgumentException("cannot load ONNX model: " + e.getMessage(), e);
    }
  }

  static OrtSession.SessionOptions options(int threads) throws OrtException {
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    o.setIntraOpNumThreads(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
    return o;
  }

  @Override
  public float[] score(Batch batch) {
    long[] shape = {batch.size(), batch.length()};
    try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.ids()), shape);
        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.mask()), shape);
        OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.typeIds()), shape);
        OrtSession.Result r = session.run(Map.of("input_ids", ids, "attention_mask", mask,
            "token_type_ids", types))) {
      float[] logits = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
      if (logits.length != batch.size()) {
        throw new IllegalStateException("model returned " + logits.length + " logits for "
            + batch.size() + " pairs; expected logits [batch, 1]");
      }
      return logits;
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
