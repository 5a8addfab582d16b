import { GpupoolError } from "../core/errors.js";

export const GPU_SHARING_MODES = ["auto", "mps", "timeslice"] as const;
export type GpuSharing = (typeof GPU_SHARING_MODES)[number];
export const MPS_CONTROL_BINARY = "nvidia-cuda-mps-control";

/**
 * How `gpupool up` (and `gpupool k8s agent`) enforce shares of one GPU (`gpu: 0.25`, `gpuMemory: 10Gi`):
 * - "mps": each share is an MPS client of its GPU's control daemon (started by gpupool), with a hard
 *   compute percentage (CUDA_MPS_ACTIVE_THREAD_PERCENTAGE) and pinned memory limit. Needs real GPUs
 *   and nvidia-cuda-mps-control: asked for without them, it is an error at start.
 * - "timeslice": shares time-slice the GPU; their memory is advisory (watched, not fenced).
 * - "auto": mps when the GPUs are real and nvidia-cuda-mps-control is on PATH, else timeslice.
 * `why` says what decided it, for the start-up line.
 */
export function resolveGpuSharing(
  requested: GpuSharing,
  host: { readonly simulated: boolean; readonly gpuCount: number; readonly mpsControl: string | undefined },
): { mode: "mps" | "timeslice"; why: string } {
  const blocker = host.simulated
    ? "the GPUs are simulated"
    : host.gpuCount === 0
      ? "there are no GPUs"
      : host.mpsControl === undefined
        ? `${MPS_CONTROL_BINARY} is not on PATH`
        : undefined;
  switch (requested) {
    case "timeslice":
      return { mode: "timeslice", why: "--gpu-sharing timeslice" };
    case "auto":
      return blocker
        ? { mode: "timeslice", why: `auto: ${blocker}` }
        : { mode: "mps", why: `auto: real GPUs and ${host.mpsControl}` };
    case "mps":
      if (!blocker) return { mode: "mps", why: "--gpu-sharing mps" };
      if (host.mpsControl === undefined && !host.simulated && host.gpuCount > 0)
        throw new GpupoolError(
          "GP_MPS_FAILED",
          `--gpu-sharing mps: ${blocker} (it comes with the NVIDIA driver's utilities); install it or use --gpu-sharing timeslice`,
        );
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `--gpu-sharing mps needs real GPUs, but ${blocker}; use --gpu-sharing timeslice (or auto)`,
      );
  }
}
