import type { Allocation } from "../../core/allocation.js";
import { GPU_MODELS, findGpuModel, migComputeSlicesOf } from "../../core/catalog.js";
import {
  addResources,
  DEFAULT_QUEUE,
  firstExceeded,
  formatResource,
  NO_RESOURCES,
  type QueueSpec,
  queueSpec,
  RESOURCE_KEYS,
  type Resources,
  subResources,
} from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import type { Snapshot } from "../snapshot/snapshot.js";

/** The queue a workload belongs to. */
export function queueOf(w: Workload): string {
  return w.queue ?? DEFAULT_QUEUE;
}

/**
 * What a placed allocation holds, in quota resources (a MIG instance: its share of the GPU's compute
 * slices, e.g. 1g = 1000/7 on an A100, 1000/4 on an A30).
 */
export function allocationResources(snapshot: Snapshot, alloc: Allocation): Resources {
  let gpuMilli = 0;
  let gpuMemoryMiB = 0;
  for (const g of alloc.gpus) {
    gpuMemoryMiB += g.memoryMiB;
    if (g.mig) {
      const model = snapshot.node(alloc.node)?.spec.gpus[g.index]?.model;
      const profile =
        model === undefined
          ? undefined
          : findGpuModel(model)?.migProfiles.find((p) => p.name === g.mig!.profile);
      const slices = profile?.computeSlices ?? 0;
      gpuMilli += Math.round((slices * 1000) / (model === undefined ? 7 : migComputeSlicesOf(model)));
    } else {
      gpuMilli += g.milli;
    }
  }
  return { gpuMilli, gpuMemoryMiB, cpuMilli: alloc.cpuMilli, memoryMiB: alloc.memoryMiB };
}

/**
 * What a pending workload will hold, as far as it is known before placement: whole GPUs count
 * their compute but not their memory (that depends on the GPU model chosen), so limits on GPU memory
 * are checked again once the allocation exists.
 */
export function demandOf(w: Workload): Resources {
  const g = w.gpu;
  switch (g.kind) {
    case "none":
      return { gpuMilli: 0, gpuMemoryMiB: 0, cpuMilli: w.cpuMilli, memoryMiB: w.memoryMiB };
    case "whole":
      return { gpuMilli: g.count * 1000, gpuMemoryMiB: 0, cpuMilli: w.cpuMilli, memoryMiB: w.memoryMiB };
    case "share":
      return { gpuMilli: g.milli, gpuMemoryMiB: g.memoryMiB, cpuMilli: w.cpuMilli, memoryMiB: w.memoryMiB };
    case "mig": {
      let profile: { computeSlices: number; memoryMiB: number } | undefined;
      let of = 7;
      for (const m of GPU_MODELS) {
        if (profile) break;
        profile = m.migProfiles.find((p) => p.name === g.profile);
        if (profile) of = m.migComputeSlices;
      }
      const slices = profile?.computeSlices ?? 0;
      return {
        gpuMilli: Math.round((slices * 1000) / of),
        gpuMemoryMiB: profile?.memoryMiB ?? 0,
        cpuMilli: w.cpuMilli,
        memoryMiB: w.memoryMiB,
      };
    }
  }
}

/**
 * Per-queue usage during one cycle. Usage starts from the snapshot's placed workloads and follows
 * every allocate/evict the cycle makes (CycleContext keeps it in step with the Statement, rollbacks
 * included, by cloning at checkpoints). A queue not in the spec list is an implicit queue with no
 * guarantee, no limit and weight 1.
 */
export class QueueLedger {
  private constructor(
    private readonly specs: Map<string, QueueSpec>,
    /** Cluster capacity per resource: what shares of idle capacity are measured against. */
    readonly capacity: Resources,
    private readonly usage: Map<string, Resources>,
  ) {}

  /** Usage from the snapshot's placed workloads; capacity from its nodes (every GPU counts 1000 milli). */
  static fromSnapshot(specs: readonly QueueSpec[], snapshot: Snapshot): QueueLedger {
    let gpuMilli = 0;
    let gpuMemoryMiB = 0;
    let cpuMilli = 0;
    let memoryMiB = 0;
    for (const n of snapshot.nodes) {
      cpuMilli += n.spec.cpuMilli;
      memoryMiB += n.spec.memoryMiB;
      for (const g of n.spec.gpus) {
        gpuMilli += 1000;
        gpuMemoryMiB += g.memoryMiB;
      }
    }
    const ledger = new QueueLedger(
      new Map(specs.map((s) => [s.name, s])),
      { gpuMilli, gpuMemoryMiB, cpuMilli, memoryMiB },
      new Map(),
    );
    for (const p of snapshot.placedWorkloads())
      ledger.add(queueOf(p.workload), allocationResources(snapshot, p.allocation));
    return ledger;
  }

  spec(queue: string): QueueSpec {
    let s = this.specs.get(queue);
    if (!s) {
      s = queueSpec({ name: queue });
      this.specs.set(queue, s);
    }
    return s;
  }

  used(queue: string): Resources {
    return this.usage.get(queue) ?? NO_RESOURCES;
  }

  add(queue: string, r: Resources): void {
    this.usage.set(queue, addResources(this.used(queue), r));
  }

  remove(queue: string, r: Resources): void {
    this.usage.set(queue, subResources(this.used(queue), r));
  }

  /** A copy for checkpoints (usage values are immutable, so copying the map is enough). */
  clone(): QueueLedger {
    return new QueueLedger(this.specs, this.capacity, new Map(this.usage));
  }

  restore(from: QueueLedger): void {
    this.usage.clear();
    for (const [k, v] of from.usage) this.usage.set(k, v);
  }

  /** Why taking `extra` would break the queue's limit ("over quota: queue a limit gpu 2000m (…)"), or null. */
  overLimit(queue: string, extra: Resources): string | null {
    const limit = this.spec(queue).limit;
    if (!limit) return null;
    const used = this.used(queue);
    const key = firstExceeded(addResources(used, extra), limit);
    if (key === null) return null;
    return `over quota: queue ${queue} limit ${formatResource(key, limit[key])} (uses ${used[key]}, asks ${extra[key]})`;
  }

  /**
   * Whether taking `extra` keeps the queue within its guarantee: `extra` uses at least one guaranteed
   * resource (guarantee > 0), and stays within the guarantee in every guaranteed resource it uses.
   * Resources the guarantee leaves at 0 are not governed by it (a GPU guarantee says nothing of CPU).
   */
  withinGuarantee(queue: string, extra: Resources): boolean {
    const g = this.spec(queue).guarantee;
    const used = this.used(queue);
    let governed = false;
    for (const key of RESOURCE_KEYS) {
      if (g[key] === 0 || extra[key] === 0) continue;
      if (used[key] + extra[key] > g[key]) return false;
      governed = true;
    }
    return governed;
  }

  /**
   * Whether giving back `r` keeps the queue at or above its guarantee: `r` may only come out of what
   * the queue holds beyond its guarantee, in every resource it uses. Reclaim and preemption across
   * queues take only such work.
   */
  canGiveBack(queue: string, r: Resources): boolean {
    const g = this.spec(queue).guarantee;
    const used = this.used(queue);
    for (const key of RESOURCE_KEYS) if (r[key] > 0 && used[key] - r[key] < g[key]) return false;
    return true;
  }

  /**
   * How far the queue borrows beyond its guarantee, per unit of weight: the dominant resource's
   * excess as a fraction of cluster capacity, divided by the weight. Idle capacity goes first to the
   * queue with the lowest value, so borrowing is shared by weight.
   */
  borrowShare(queue: string): number {
    const spec = this.spec(queue);
    const used = this.used(queue);
    let dominant = 0;
    for (const key of RESOURCE_KEYS) {
      const cap = this.capacity[key];
      if (cap > 0) dominant = Math.max(dominant, Math.max(0, used[key] - spec.guarantee[key]) / cap);
    }
    return dominant / spec.weight;
  }
}
