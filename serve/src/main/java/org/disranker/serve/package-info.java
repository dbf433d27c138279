/** Serving the student: ONNX Runtime scoring of exported cross-encoders. */
package org.disranker.serve;
