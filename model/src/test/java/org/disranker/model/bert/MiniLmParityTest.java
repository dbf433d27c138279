package org.disranker.model.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.disranker.core.dataset.Dataset;
import org.disranker.core.dataset.Datasets;
import org.disranker.model.tokenize.PairTokenizer;
import org.junit.jupiter.api.Test;

/**
 * The DJL encoder with weights read from the all-MiniLM-L6-v2 ONNX file gives the same last
 * hidden states as ONNX Runtime running that file, on real DL19 query-passage pairs.
 */
class MiniLmParityTest {
  @Test
  void djlEncoderMatchesOnnxRuntimeOnDl19Pairs() throws Exception {
    Path dir = Datasets.dataRoot().resolve("trec-dl/dl19");
    assumeTrue(Files.isDirectory(dir), "shared data not found at " + dir);
    Dataset d = Datasets.open(dir, null);
    List<String> qs = new ArrayList<>();
    List<String> docs = new ArrayList<>();
    for (String qid : d.queries().keySet()) {
      // first and 50th BM25 candidate of the first few queries: short and long passages
      var run = d.firstStage().get(qid);
      for (int r : new int[] {0, 49}) {
        qs.add(d.queries().get(qid).text());
        docs.add(d.documents().get(run.get(r).docid()).text());
      }
      if (qs.size() >= 12) {
        break;
      }
    }
    BertCheckpoint ckpt = BertCheckpoint.minilm();
    assertEquals(6, ckpt.config().numLayers());
    assertEquals(384, ckpt.config().hiddenSize());
    Batch batch;
    try (PairTokenizer tok = new PairTokenizer(ckpt.tokenizerJson(), 256)) {
      batch = Batch.of(tok.encodeAll(qs, docs));
    }
    assertTrue(batch.length() > 100, "the batch mixes lengths and needs padding");

    float[] djl;
    try (BertModel model = BertModel.create(ckpt, Device.cpu());
        NDManager m = model.manager().newSubManager()) {
      NDArray h = model.encode(batch.idsArray(m), batch.typesArray(m), batch.maskArray(m));
      djl = h.toFloatArray();
    }

    float[] ort;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] onnx;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(
        BertCheckpoint.MINILM_ONNX)) {
      onnx = in.readAllBytes();
    }
    long[] shape = {batch.size(), batch.length()};
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
        OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.ids()), shape);
        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.mask()), shape);
        OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.typeIds()), shape);
        OrtSession.Result r = s.run(Map.of("input_ids", ids, "attention_mask", mask,
            "token_type_ids", types))) {
      ort = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
    }
    assertEquals(ort.length, djl.length);
    int hidden = 384;
    double maxDiff = 0;
    for (int i = 0; i < batch.size() * batch.length(); i++) {
      if (batch.mask()[i] == 0) {
        continue; // padding positions carry no meaning
      }
      for (int j = 0; j < hidden; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(djl[i * hidden + j] - ort[i * hidden + j]));
      }
    }
    System.out.println("MiniLM DJL vs ONNX Runtime, max abs difference: " + maxDiff);
    assertTrue(maxDiff < 1e-4, "max abs difference " + maxDiff);
  }
}
