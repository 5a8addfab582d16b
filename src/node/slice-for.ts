import type { Allocation } from "../core/allocation.js";
import { GpupoolError } from "../core/errors.js";
import type { NodeSpec } from "../core/node.js";
import { simulatedMigUuid } from "./simulate.js";
import { mpsLimitsForShare, type Slice } from "./slice.js";

/**
 * The MIG device UUID of the instance a placement names (GPU `index`, profile, first memory slice):
 * on a simulated GPU its `MIG-SIM-…` name; on a real one the UUID of a known instance there with
 * that profile and start; undefined when there is none (gpupool does not create real instances).
 */
export function migInstanceUuid(
  node: NodeSpec,
  index: number,
  mig: { readonly profile: string; readonly start: number },
): string | undefined {
  const gpu = node.gpus.find((d) => d.index === index);
  if (!gpu) return undefined;
  if (gpu.simulated && gpu.uuid) return simulatedMigUuid(gpu.uuid, mig);
  return gpu.migInstances?.find((m) => m.profile === mig.profile && m.start === mig.start)?.uuid;
}

/** Where a GPU's MPS control daemon listens (MpsControl.dirs): what MPS shares are pointed at. */
export interface MpsPipes {
  dirs(gpuUuid: string): { readonly pipe: string };
}

/**
 * The slice a placed job is handed, named by the job id. A share of one GPU is an MPS client when
 * `mps` is given and the GPU is real (hard compute percentage and pinned memory limit, through that
 * GPU's daemon), else time-sliced (its GPU memory advisory and watched, not fenced). Recovery calls
 * this again for adopted jobs, so it depends only on its arguments.
 */
export function sliceFor(
  jobId: string,
  alloc: Allocation,
  node: NodeSpec,
  mps?: MpsPipes,
): Slice | undefined {
  if (alloc.gpus.length === 0) return undefined;
  const ref = (index: number) => {
    const g = node.gpus.find((d) => d.index === index);
    return {
      index,
      uuid: g?.uuid ?? `GPU-UNKNOWN-${index}`,
      ...(g?.simulated ? { simulated: true } : {}),
    };
  };
  const first = alloc.gpus[0]!;
  if (first.mig) {
    const migUuid = migInstanceUuid(node, first.index, first.mig);
    if (migUuid === undefined)
      throw new GpupoolError(
        "GP_MIG_UNSUPPORTED",
        `no MIG instance ${first.mig.profile} at slice ${first.mig.start} on GPU ${first.index}: gpupool creates MIG instances on simulated GPUs only`,
      );
    return { kind: "mig", id: jobId, gpu: ref(first.index), migUuid, profile: first.mig.profile };
  }
  if (alloc.gpus.length === 1 && first.milli < 1000) {
    const known = node.gpus.find((d) => d.index === first.index);
    if (mps && known?.uuid && !known.simulated) {
      const gpu = ref(first.index);
      return {
        kind: "mps",
        id: jobId,
        gpu,
        ...mpsLimitsForShare(first.milli, first.memoryMiB),
        pipeDirectory: mps.dirs(gpu.uuid).pipe,
      };
    }
    return {
      kind: "timeslice",
      id: jobId,
      gpu: ref(first.index),
      memoryLimitMiB: first.memoryMiB,
      policy: "warn",
    };
  }
  return { kind: "whole", id: jobId, gpus: alloc.gpus.map((g) => ref(g.index)) };
}
