import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import type { Workload } from "../core/workload.js";
import type { Slice } from "../node/slice.js";
import type { NormalizedSpec } from "../server/job-spec.js";
import type { JobRecord } from "../store/index.js";

/** The normalised spec a job was stored with (see server/job-spec.ts). */
export function specOf(job: JobRecord): NormalizedSpec {
  return job.spec as unknown as NormalizedSpec;
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
 * The slice a placed job is handed, named by the job id. Shares are time-sliced (no MPS daemon is
 * managed here): their GPU memory is advisory and watched, not fenced.
 */
export function sliceFor(jobId: string, alloc: Allocation, node: NodeSpec): Slice | undefined {
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
    const gpu = ref(first.index);
    return {
      kind: "mig",
      id: jobId,
      gpu,
      migUuid: `MIG-${gpu.uuid.replace(/^GPU-/, "")}-${first.mig.profile}-${first.mig.start}`,
      profile: first.mig.profile,
    };
  }
  if (alloc.gpus.length === 1 && first.milli < 1000) {
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
