import type { Allocation } from "../../core/allocation.js";
import { findGpuModel } from "../../core/catalog.js";
import type { NodeSpec } from "../../core/node.js";
import type { Workload } from "../../core/workload.js";
import type { ChangeLog } from "./change-log.js";

/** A workload placed on a node, with what it holds there. */
export interface Placed {
  readonly workload: Workload;
  readonly allocation: Allocation;
}

/**
 * The mutable, per-node view the scheduler works on. Units: CPU milli, memory MiB, GPU milli.
 *
 * Contract: only `apply` and `release` (called by a Statement) change the free amounts, and both
 * refresh the derived fields (`fullyFree`, `maxFree`, `stateId`). `stateId` identifies the node's
 * schedulable state: two nodes with equal stateId answer every filter and score identically, which is
 * what lets the score cache share work between nodes and across time.
 */
export class NodeInfo {
  readonly name: string;
  readonly spec: NodeSpec;
  /** Position in the snapshot's order; ties between equal scores go to the lowest. */
  readonly order: number;
  cpuFree: number;
  memFree: number;
  /** Workloads the node still takes (NodeSpec.pods); Infinity without a limit. */
  podsFree: number;
  /** Free compute milli per GPU index. A MIG-enabled GPU reports 0 here: it is only handed out as instances. */
  readonly gpuFree: number[];
  /** Free GPU memory (MiB) per GPU index. */
  readonly gpuMemFree: number[];
  /** MIG: used memory slices as a bitmask, and used compute slices, per GPU index. */
  readonly migUsedMask: number[];
  readonly migUsedCompute: number[];
  /** MIG: instances placed per GPU: profile name → count. */
  readonly migCounts: Map<string, number>[];
  readonly placed = new Map<string, Placed>();
  /** How many placed workloads carry each shape tag (kept with `placed`, so the state key needs no scan). */
  private readonly tagCounts = new Map<string, number>();
  /** Number of GPUs with all 1000 milli free (MIG GPUs never count). */
  fullyFree = 0;
  /** Largest free milli on one GPU. */
  maxFree = 0;
  /** Sum of free milli over GPUs. */
  totalFree = 0;
  /** Interned schedulable-state id; see the class contract. */
  stateId = -1;
  /** Bumped on every change. */
  version = 0;
  /** The distinct GPU models on this node. */
  readonly models: readonly string[];
  /** GPUs that take new work (not marked unhealthy). */
  readonly healthyGpus: number;
  /** Catalog-resolved datacenter flag (false when unknown). */
  readonly datacenter: boolean;
  private readonly typeKey: string;
  private readonly index: SnapshotIndex;
  private stateKeyText: string | undefined;

  constructor(spec: NodeSpec, order: number, index: SnapshotIndex) {
    this.index = index;
    this.name = spec.name;
    this.spec = spec;
    this.order = order;
    this.cpuFree = spec.cpuMilli;
    this.memFree = spec.memoryMiB;
    this.podsFree = spec.pods ?? Number.POSITIVE_INFINITY;
    // An unhealthy GPU has nothing to give (and what runs there is not counted against it).
    this.gpuFree = spec.gpus.map((g) => (g.migEnabled || g.unhealthy ? 0 : 1000));
    this.gpuMemFree = spec.gpus.map((g) => (g.unhealthy ? 0 : g.memoryMiB));
    this.migUsedMask = spec.gpus.map(() => 0);
    this.migUsedCompute = spec.gpus.map(() => 0);
    this.migCounts = spec.gpus.map(() => new Map());
    this.models = [...new Set(spec.gpus.map((g) => g.model))];
    this.healthyGpus = spec.gpus.filter((g) => !g.unhealthy).length;
    this.datacenter = this.models.length > 0 && this.models.every((m) => findGpuModel(m)?.datacenter ?? true);
    this.typeKey = JSON.stringify([
      spec.cpuMilli,
      spec.memoryMiB,
      spec.driverVersion ?? "",
      spec.labels ?? {},
      spec.taints ?? [],
      spec.gpus.map((g) => [
        g.model,
        g.memoryMiB,
        g.migEnabled ?? false,
        g.nvlinkPeers ?? [],
        g.unhealthy ? 1 : 0,
      ]),
    ]);
    this.refresh();
  }

  /** The distinct shape tags of the placed workloads (see shapeTag). */
  tags(): IterableIterator<string> {
    return this.tagCounts.keys();
  }

  get gpuCount(): number {
    return this.gpuFree.length;
  }

  /** Takes what `alloc` holds. The caller (a Statement) has checked that it fits. */
  apply(workload: Workload, alloc: Allocation): void {
    this.cpuFree -= alloc.cpuMilli;
    this.memFree -= alloc.memoryMiB;
    this.podsFree -= 1;
    for (const g of alloc.gpus) {
      if (this.spec.gpus[g.index]?.unhealthy) continue;
      if (g.mig) {
        const profile = this.migProfile(g.index, g.mig.profile);
        this.migUsedMask[g.index]! |= ((1 << profile.memorySlices) - 1) << g.mig.start;
        this.migUsedCompute[g.index]! += profile.computeSlices;
        const counts = this.migCounts[g.index]!;
        counts.set(g.mig.profile, (counts.get(g.mig.profile) ?? 0) + 1);
      } else {
        this.gpuFree[g.index]! -= g.milli;
      }
      this.gpuMemFree[g.index]! -= g.memoryMiB;
    }
    this.placed.set(alloc.workloadId, { workload, allocation: alloc });
    const tag = shapeTag(workload);
    this.tagCounts.set(tag, (this.tagCounts.get(tag) ?? 0) + 1);
    this.refresh();
  }

  /** Gives back what `alloc` held. */
  release(alloc: Allocation): void {
    this.cpuFree += alloc.cpuMilli;
    this.memFree += alloc.memoryMiB;
    this.podsFree += 1;
    for (const g of alloc.gpus) {
      if (this.spec.gpus[g.index]?.unhealthy) continue;
      if (g.mig) {
        const profile = this.migProfile(g.index, g.mig.profile);
        this.migUsedMask[g.index]! &= ~(((1 << profile.memorySlices) - 1) << g.mig.start);
        this.migUsedCompute[g.index]! -= profile.computeSlices;
        const counts = this.migCounts[g.index]!;
        counts.set(g.mig.profile, (counts.get(g.mig.profile) ?? 1) - 1);
      } else {
        this.gpuFree[g.index]! += g.milli;
      }
      this.gpuMemFree[g.index]! += g.memoryMiB;
    }
    const gone = this.placed.get(alloc.workloadId);
    this.placed.delete(alloc.workloadId);
    if (gone) {
      const tag = shapeTag(gone.workload);
      const c = (this.tagCounts.get(tag) ?? 1) - 1;
      if (c === 0) this.tagCounts.delete(tag);
      else this.tagCounts.set(tag, c);
    }
    this.refresh();
  }

  private migProfile(index: number, name: string) {
    const model = findGpuModel(this.spec.gpus[index]!.model);
    const profile = model?.migProfiles.find((p) => p.name === name);
    if (!profile) throw new Error(`node ${this.name} GPU ${index}: no MIG profile ${name}`);
    return profile;
  }

  private refresh(): void {
    let fully = 0;
    let max = 0;
    let total = 0;
    for (let i = 0; i < this.gpuFree.length; i++) {
      const f = this.gpuFree[i]!;
      if (f === 1000) fully++;
      if (f > max) max = f;
      total += f;
    }
    this.fullyFree = fully;
    this.maxFree = max;
    this.totalFree = total;
    this.version++;
    const previous = this.stateKeyText;
    this.stateKeyText = this.stateKey();
    this.stateId = this.index.interner.acquire(this.stateKeyText);
    if (previous !== undefined) this.index.interner.release(previous);
    this.index.stateIds[this.order] = this.stateId;
    this.index.changes.record(this.order);
  }

  /** Everything a filter or score may look at, as one string. */
  private stateKey(): string {
    const tags = this.tagCounts.size === 0 ? "" : [...this.tagCounts.keys()].sort().join("+");
    // Only whether another workload fits counts (no score reads the pod count): nodes that differ
    // only in how many more pods they take still share one state.
    const full = this.podsFree < 1 ? "|no-pods" : "";
    return `${this.typeKey}${full}|${this.cpuFree}|${this.memFree}|${this.gpuFree.join(",")}|${this.gpuMemFree.join(",")}|${this.migUsedMask.join(",")}|${tags}`;
  }
}

/** The clustering tag of a workload: "share-gpu", "<k>-gpu", "mig" or "cpu". */
export function shapeTag(w: Workload): string {
  switch (w.gpu.kind) {
    case "none":
      return "cpu";
    case "share":
      return w.gpu.milli >= 1000 ? "1-gpu" : "share-gpu";
    case "whole":
      return `${w.gpu.count}-gpu`;
    case "mig":
      return "mig";
  }
}

/** What all nodes of a snapshot share: the state interner, the stateIds by position, the change log. */
export interface SnapshotIndex {
  readonly interner: StateInterner;
  /** NodeInfo.stateId by node order, contiguous for the scheduling hot loop. */
  readonly stateIds: Int32Array;
  readonly changes: ChangeLog;
}

/**
 * Interns node state strings into integers. Ids are never reused: a state no node holds any more is
 * forgotten (so memory stays bounded by the node count), and if it comes back it gets a new id, so a
 * cache keyed by id can never confuse two states.
 */
export class StateInterner {
  private readonly ids = new Map<string, { id: number; holders: number }>();
  private readonly byId = new Map<number, { id: number; holders: number }>();
  private next = 0;

  acquire(key: string): number {
    let e = this.ids.get(key);
    if (e === undefined) {
      e = { id: this.next++, holders: 0 };
      this.ids.set(key, e);
      this.byId.set(e.id, e);
    }
    e.holders++;
    return e.id;
  }

  release(key: string): void {
    const e = this.ids.get(key);
    if (e !== undefined && --e.holders === 0) {
      this.ids.delete(key);
      this.byId.delete(e.id);
    }
  }

  /** How many nodes are in state `id` now (0 once none is). */
  holders(id: number): number {
    return this.byId.get(id)?.holders ?? 0;
  }

  /** Distinct states currently held by some node. */
  get size(): number {
    return this.ids.size;
  }
}
