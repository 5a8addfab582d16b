import type { NodeSpec } from "./node.js";

/**
 * Workloads (jobs, pods, gang members) as the scheduler sees them. Units: CPU milli, memory MiB,
 * GPU compute milli per GPU.
 */

/** What a workload asks of GPUs: a tagged union, one shape per way a GPU can be handed out. */
export type GpuRequest =
  | { readonly kind: "none" }
  /** N whole GPUs on one node (NVLink-close when N > 1). */
  | { readonly kind: "whole"; readonly count: number }
  /** A share of ONE GPU: compute milli (1..1000) and/or GPU memory in MiB (0 = unspecified). */
  | { readonly kind: "share"; readonly milli: number; readonly memoryMiB: number }
  /** One hardware MIG instance of the named profile, e.g. "1g.10gb". */
  | { readonly kind: "mig"; readonly profile: string };

export const NO_GPU: GpuRequest = { kind: "none" };

export interface CudaRequirement {
  /** Toolkit version the image is built against, "MAJOR.MINOR". */
  readonly version: string;
  /** The image ships cuda-compat (forward compatibility on datacenter GPUs). */
  readonly forwardCompat?: boolean;
}

export interface GangRef {
  readonly id: string;
  /** Members that must be placed together (all or none). */
  readonly size: number;
}

/**
 * Which nodes a workload may go to beyond its resources (Kubernetes: nodeSelector, required node
 * affinity, tolerations). `admits` must depend only on the node's labels and taints, and two
 * constraints with the same `key` must answer alike (the scheduler caches verdicts by it).
 */
export interface NodeConstraint {
  readonly key: string;
  /** null when the node is allowed, else why not (one short line, the same for alike nodes). */
  admits(node: NodeSpec): string | null;
}

export interface Workload {
  readonly id: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpu: GpuRequest;
  /** Allowed GPU models (catalog names or labels); empty or absent = any. */
  readonly gpuModels?: readonly string[];
  readonly cuda?: CudaRequirement;
  /** Higher runs first and may preempt strictly lower priorities. Default 0. */
  readonly priority?: number;
  /** Queue (tenant) name; default "default". */
  readonly queue?: string;
  readonly gang?: GangRef;
  /** Submission order; FIFO within a priority. */
  readonly seq?: number;
  /** Whether the workload may be preempted at all (default true). */
  readonly preemptible?: boolean;
  /**
   * For `whole` requests of more than one GPU: "required" places only on GPUs that are all
   * NVLink-connected; "preferred" (default) favours such nodes but accepts others.
   */
  readonly nvlink?: "required" | "preferred";
  /** Node eligibility besides resources; absent = any node. */
  readonly nodeConstraint?: NodeConstraint;
}

/**
 * GPU compute this request takes in milli, summed over GPUs (a MIG instance: its compute slices of
 * the GPU's `ofSlices`, 7 on most MIG GPUs, 4 on A30 / RTX PRO 6000).
 */
export function gpuMilliTotal(req: GpuRequest, migComputeSlices = 0, ofSlices = 7): number {
  switch (req.kind) {
    case "none":
      return 0;
    case "whole":
      return req.count * 1000;
    case "share":
      return req.milli;
    case "mig":
      return Math.round((migComputeSlices * 1000) / ofSlices);
  }
}
