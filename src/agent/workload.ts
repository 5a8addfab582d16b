import type { Allocation } from "../core/allocation.js";
import type { Workload } from "../core/workload.js";
import { migProfileMilli } from "../core/catalog.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import type { JobRecord } from "../store/index.js";

/** The normalised spec a job was stored with (see core/job-spec.ts). */
export function specOf(job: JobRecord): NormalizedSpec {
  return job.spec;
}

/** A stored job as the scheduler sees it. The queue is the tenant. */
export function jobToWorkload(job: JobRecord): Workload {
  const spec = specOf(job);
  return {
    id: job.id,
    cpuMilli: spec.cpuMilli,
    memoryMiB: spec.memoryMiB,
    gpu: spec.gpu,
    ...(spec.gpuModels.length > 0 ? { gpuModels: spec.gpuModels } : {}),
    priority: job.priority,
    queue: job.queue,
    seq: job.seq,
    preemptible: spec.preemptible,
    ...(job.gang ? { gang: { id: job.gang, size: spec.replicas } } : {}),
  };
}

/** GPU milli an allocation holds, summed over its GPUs (what usage is metered in). */
export function allocationGpuMilli(alloc: Allocation | null): number {
  return (alloc?.gpus ?? []).reduce((sum, g) => sum + g.milli, 0);
}

/**
 * The GPU compute an allocation is billed for, in milli: its shares and whole GPUs, and each MIG
 * instance's share of its GPU's compute slices (which allocationGpuMilli, the compute a share
 * takes from a GPU's 1000, leaves at 0).
 */
export function meteredGpuMilli(alloc: Allocation | null): number {
  return (alloc?.gpus ?? []).reduce((sum, g) => sum + (g.mig ? migProfileMilli(g.mig.profile) : g.milli), 0);
}
