import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import { type MpsPipes, sliceFor } from "../node/slice-for.js";
import { sliceEnv } from "../node/slice-env.js";

/**
 * What the device plugin's Allocate answers for one container (pure): the slice of its pod's
 * assignment, built exactly as standalone builds it (node/slice-for.ts, node/slice-env.ts): the
 * visible GPU or MIG UUIDs, MPS thread percentage and pinned memory limit with the MPS pipe
 * directory mounted, or a time-slice's advisory limit. The GPU device nodes are the NVIDIA
 * container runtime's to inject from NVIDIA_VISIBLE_DEVICES (as NVIDIA's plugin's envvar strategy).
 */
export interface ContainerAllocation {
  readonly envs: Record<string, string>;
  readonly mounts: { container_path: string; host_path: string; read_only: boolean }[];
  readonly devices: { container_path: string; host_path: string; permissions: string }[];
  readonly annotations: Record<string, string>;
}

export function containerAllocation(
  pod: { readonly uid: string; readonly namespace: string; readonly name: string },
  allocation: Allocation,
  node: NodeSpec,
  mps?: MpsPipes,
): ContainerAllocation {
  const slice = sliceFor(`pod-${pod.uid}`, allocation, node, mps);
  const envs: Record<string, string> = slice ? sliceEnv(slice) : {};
  envs.GPUPOOL_POD = `${pod.namespace}/${pod.name}`;
  const mounts =
    slice?.kind === "mps"
      ? [{ container_path: slice.pipeDirectory, host_path: slice.pipeDirectory, read_only: false }]
      : [];
  return { envs, mounts, devices: [], annotations: { "gpupool.dev/slice": slice?.kind ?? "none" } };
}
