import type { Slice } from "./slice.js";
import { isSimulatedSlice, sliceGpus } from "./slice.js";

/**
 * The environment a container gets for its slice. Devices are named by UUID (CUDA accepts `GPU-…` and
 * `MIG-…` in CUDA_VISIBLE_DEVICES), so the names mean the same inside and outside the container.
 * MPS: CUDA_MPS_PINNED_DEVICE_MEM_LIMIT is `<ordinal>=<MiB>M`, ordinal 0 because the client sees one GPU.
 */
export function sliceEnv(slice: Slice): Record<string, string> {
  const env: Record<string, string> = {
    GPUPOOL_SLICE_ID: slice.id,
    GPUPOOL_SLICE_KIND: slice.kind,
    NVIDIA_DRIVER_CAPABILITIES: "compute,utility",
  };
  const ids = slice.kind === "mig" ? [slice.migUuid] : sliceGpus(slice).map((g) => g.uuid);
  env.NVIDIA_VISIBLE_DEVICES = ids.join(",");
  env.CUDA_VISIBLE_DEVICES = ids.join(",");
  switch (slice.kind) {
    case "whole":
      break;
    case "mig":
      env.GPUPOOL_MIG_PROFILE = slice.profile;
      break;
    case "mps":
      env.CUDA_MPS_PIPE_DIRECTORY = slice.pipeDirectory;
      env.CUDA_MPS_ACTIVE_THREAD_PERCENTAGE = String(slice.activeThreadPercentage);
      if (slice.memoryLimitMiB > 0) env.CUDA_MPS_PINNED_DEVICE_MEM_LIMIT = `0=${slice.memoryLimitMiB}M`;
      break;
    case "timeslice":
      // Advisory only: nothing in the driver enforces it; the telemetry loop watches it.
      if (slice.memoryLimitMiB > 0) env.GPUPOOL_GPU_MEMORY_LIMIT_MIB = String(slice.memoryLimitMiB);
      env.GPUPOOL_OVERUSE_POLICY = slice.policy;
      break;
  }
  if (isSimulatedSlice(slice)) env.GPUPOOL_SIMULATED = "1";
  return env;
}
