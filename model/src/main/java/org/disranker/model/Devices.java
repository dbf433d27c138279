package org.disranker.model;

import ai.djl.Device;
import ai.djl.engine.Engine;

/**
 * The one place that picks where models run: the first GPU when the engine sees one (DJL finds
 * CUDA natives where they are installed), else the CPU; {@code -Ddisranker.device=cpu} forces
 * the CPU.
 */
public final class Devices {
  private Devices() {}

  public static Device best() {
    if ("cpu".equalsIgnoreCase(System.getProperty("disranker.device"))) {
      return Device.cpu();
    }
    return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
  }
}
