import { z } from "zod";
import type { GpuAssignment } from "../../core/allocation.js";
import type { Workload } from "../../core/workload.js";
import type { DevicePlugin, ScorePlugin, StatsAwarePlugin } from "../framework/interfaces.js";
import { registration } from "../framework/registry.js";
import type { NodeInfo } from "../snapshot/node-info.js";
import type { WorkloadStats } from "../stats/workload-stats.js";
import { migChoice, shareFits, wholeChoice, wholeFree } from "./gpu-devices.js";

/**
 * Fragmentation Gradient Descent (Weng et al., USENIX ATC'23; protocol in
 * ../shared/design/FGD-PROTOCOL.md). The fragmentation F(n) of a node is the GPU compute (milli) that
 * the typical pods of the workload could not use there, weighted by how often each typical pod occurs.
 * A placement scores floor(100·sigmoid((F(n) − F(n′)) / 1000)): the more it lowers fragmentation,
 * the higher. Device choice takes the GPU whose use lowers F the most (lowest index on a tie).
 */

export const TypicalPodSchema = z
  .object({
    cpuMilli: z.number().int().nonnegative(),
    /** Host memory in MiB; only read when fragmentation is memory-aware. */
    memoryMiB: z.number().int().nonnegative().default(0),
    /** Per-GPU compute milli (1..1000); ignored when gpuCount is 0. */
    gpuMilli: z.number().int().min(0).max(1000),
    gpuCount: z.number().int().nonnegative(),
    models: z.array(z.string()).default([]),
    weight: z.number().positive(),
  })
  .strict();
export type TypicalPod = z.infer<typeof TypicalPodSchema>;

export const FgdArgsSchema = z
  .object({
    /**
     * The target workload, fixed. When empty: learnt online from the pods the scheduler sees
     * (Handle.stats), and a generic mix of whole GPUs and common shares until the first one.
     */
    typicalPods: z.array(TypicalPodSchema).default([]),
    /** Count a node's GPUs as fragmented for a typical pod whose host memory no longer fits (gpupool extension). */
    memoryAware: z.boolean().default(false),
    /** Floor scores to integers 0..100 as the paper's simulator does (false: continuous). */
    floor: z.boolean().default(true),
    /**
     * Weight of "stranded" GPU compute added to F: free GPU milli the node's CPU (or memory, when
     * memory-aware) cannot feed at the typical GPU pods' CPU-per-GPU ratio (gpupool extension; 0 = off).
     */
    strandWeight: z.number().nonnegative().default(0),
    /** Milli of fragmentation change that moves the sigmoid by one unit (the paper: 1000). */
    sigmoidScale: z.number().positive().default(1000),
  })
  .strict();
export type FgdArgs = z.infer<typeof FgdArgsSchema>;

const GENERIC_MIX: TypicalPod[] = [
  { cpuMilli: 0, memoryMiB: 0, gpuMilli: 1000, gpuCount: 1, models: [], weight: 4 },
  { cpuMilli: 0, memoryMiB: 0, gpuMilli: 1000, gpuCount: 2, models: [], weight: 1 },
  { cpuMilli: 0, memoryMiB: 0, gpuMilli: 1000, gpuCount: 8, models: [], weight: 1 },
  { cpuMilli: 0, memoryMiB: 0, gpuMilli: 500, gpuCount: 1, models: [], weight: 2 },
  { cpuMilli: 0, memoryMiB: 0, gpuMilli: 250, gpuCount: 1, models: [], weight: 2 },
];

/** Typical pods as weighted shapes whose probabilities `p` sum to 1. */
export function toShapes(typical: readonly TypicalPod[]): Shape[] {
  const total = typical.reduce((s, t) => s + t.weight, 0);
  return typical.map((t) => ({
    cpu: t.cpuMilli,
    mem: t.memoryMiB,
    milli: t.gpuMilli,
    num: t.gpuCount,
    models: t.models.length ? new Set(t.models) : null,
    p: t.weight / total,
  }));
}

export interface Shape {
  readonly cpu: number;
  readonly mem: number;
  readonly milli: number;
  readonly num: number;
  readonly models: ReadonlySet<string> | null;
  readonly p: number;
}

export class FgdScore implements ScorePlugin, DevicePlugin, StatsAwarePlugin {
  readonly name: string = "FgdScore";
  readonly cacheable = true;
  protected shapes: Shape[] = [];
  private readonly memoryAware: boolean;
  private readonly floor: boolean;
  private readonly sigmoidScale: number;
  private readonly strandWeight: number;
  /** Typical GPU pods' CPU milli (and memory MiB) per GPU milli. */
  protected cpuPerMilli = 0;
  private memPerMilli = 0;
  /** Per node: bitmask of GPUs whose model each shape allows (index node.order * shapes + m). */
  private readonly allowed = new Map<NodeInfo, Int32Array>();
  private readonly scratch = new Array<number>(64).fill(0);
  private readonly wholeScratch: number[] = [];
  private f0Version = new Int32Array(0);
  private f0Value = new Float64Array(0);
  /**
   * Where the typical pods come from: the args when they name some (fixed, e.g. the paper's oracle),
   * else the statistics learnt online (the generic mix until the first pod is seen).
   */
  protected readonly online: WorkloadStats | null;

  constructor(args: FgdArgs, stats?: WorkloadStats) {
    this.memoryAware = args.memoryAware;
    this.floor = args.floor;
    this.sigmoidScale = args.sigmoidScale;
    this.strandWeight = args.strandWeight;
    this.online = args.typicalPods.length === 0 && stats ? stats : null;
    this.setShapes(args.typicalPods.length ? args.typicalPods : this.onlineTypical());
  }

  private onlineTypical(): readonly TypicalPod[] {
    const t = this.online?.current.typical;
    return t?.length ? t : GENERIC_MIX;
  }

  private setShapes(typical: readonly TypicalPod[]): void {
    this.shapes = toShapes(typical);
    let cpu = 0;
    let mem = 0;
    let milli = 0;
    for (const sh of this.shapes) {
      if (sh.num === 0) continue;
      cpu += sh.p * sh.cpu;
      mem += sh.p * sh.mem;
      milli += sh.p * sh.num * sh.milli;
    }
    this.cpuPerMilli = milli > 0 ? cpu / milli : 0;
    this.memPerMilli = milli > 0 ? mem / milli : 0;
    this.allowed.clear();
    this.f0Version.fill(-1);
  }

  /** A new statistics version: take its typical pods (a no-op when they are fixed by the args). */
  statsChanged(): void {
    if (this.online) this.setShapes(this.onlineTypical());
  }

  private allowedMasks(node: NodeInfo): Int32Array {
    let masks = this.allowed.get(node);
    if (!masks) {
      masks = new Int32Array(this.shapes.length);
      for (let m = 0; m < this.shapes.length; m++) {
        const models = this.shapes[m]!.models;
        let mask = 0;
        for (let i = 0; i < node.gpuCount; i++) {
          const g = node.spec.gpus[i]!;
          if (!g.migEnabled && (!models || models.has(g.model))) mask |= 1 << i;
        }
        masks[m] = mask;
      }
      this.allowed.set(node, masks);
    }
    return masks;
  }

  /** F for a node whose CPU left is `cpu`, memory left `mem`, and GPU free milli `free[0..g)`. */
  fragmentation(node: NodeInfo, cpu: number, mem: number, free: readonly number[], g: number): number {
    const masks = this.allowedMasks(node);
    let total = 0;
    for (let i = 0; i < g; i++) total += free[i]!;
    let F = 0;
    for (let m = 0; m < this.shapes.length; m++) {
      const s = this.shapes[m]!;
      let f: number;
      if (s.num === 0 || cpu < s.cpu || (this.memoryAware && mem < s.mem)) {
        f = total;
      } else {
        const mask = masks[m]!;
        let fit = 0;
        let small = 0;
        for (let i = 0; i < g; i++) {
          const fr = free[i]!;
          if ((mask >> i) & 1 && fr >= s.milli) fit++;
          else small += fr;
        }
        f = fit >= s.num ? small : total;
      }
      F += s.p * f;
    }
    if (this.strandWeight > 0 && total > 0) {
      let strand = this.cpuPerMilli > 0 ? total - cpu / this.cpuPerMilli : 0;
      if (this.memoryAware && this.memPerMilli > 0) strand = Math.max(strand, total - mem / this.memPerMilli);
      if (strand > 0) F += this.strandWeight * strand;
    }
    return F;
  }

  protected toScore(delta: number): number {
    const v = 100 / (1 + Math.exp(-delta / this.sigmoidScale));
    return this.floor ? Math.floor(v) : v;
  }

  /** Score of placing `pod` on GPU `i` (share), or on its whole-GPU choice (i = -1). */
  protected placementScore(
    node: NodeInfo,
    pod: Workload,
    f0: number,
    i: number,
    whole: readonly number[] | null,
  ): number {
    const g = node.gpuCount;
    const free = this.scratch;
    for (let d = 0; d < g; d++) free[d] = node.gpuFree[d]!;
    if (i >= 0 && pod.gpu.kind === "share") free[i]! -= pod.gpu.milli;
    if (whole) for (const d of whole) free[d] = 0;
    const f1 = this.fragmentation(node, node.cpuFree - pod.cpuMilli, node.memFree - pod.memoryMiB, free, g);
    return this.toScore(f0 - f1 - this.placementCost(node, pod));
  }

  /** Extra cost (milli) of placing `pod` on `node` beyond the change in F; 0 for FGD itself. */
  protected placementCost(_node: NodeInfo, _pod: Workload): number {
    return 0;
  }

  /** F of the node as it is, remembered until the node changes (keyed by its version). */
  protected baseFragmentation(node: NodeInfo): number {
    const o = node.order;
    if (o >= this.f0Version.length) this.growF0(o + 1);
    if (this.f0Version[o] === node.version) return this.f0Value[o]!;
    const f = this.fragmentation(node, node.cpuFree, node.memFree, node.gpuFree, node.gpuCount);
    this.f0Version[o] = node.version;
    this.f0Value[o] = f;
    return f;
  }

  private growF0(n: number): void {
    const v = new Int32Array(n).fill(-1);
    v.set(this.f0Version);
    const f = new Float64Array(n);
    f.set(this.f0Value);
    this.f0Version = v;
    this.f0Value = f;
  }

  score(_s: unknown, pod: Workload, node: NodeInfo): number {
    const f0 = this.baseFragmentation(node);
    const g = pod.gpu;
    if (g.kind === "none") return this.placementScore(node, pod, f0, -1, null);
    if (g.kind === "mig") return 50;
    if (g.kind === "whole") {
      if (g.count > 1 && node.spec.gpus.some((d) => d.nvlinkPeers?.length)) {
        const pick = wholeChoice(node, pod);
        return pick
          ? this.placementScore(
              node,
              pod,
              f0,
              -1,
              pick.map((a) => a.index),
            )
          : 0;
      }
      // Without NVLink data the choice is the lowest free indexes: mark them without allocating.
      const taken = this.wholeScratch;
      taken.length = 0;
      for (let i = 0; i < node.gpuCount && taken.length < g.count; i++)
        if (wholeFree(node, i, pod)) taken.push(i);
      return taken.length === g.count ? this.placementScore(node, pod, f0, -1, taken) : 0;
    }
    let best = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < node.gpuCount; i++) {
      if (!shareFits(node, i, pod, g.milli, g.memoryMiB)) continue;
      const s = this.placementScore(node, pod, f0, i, null);
      if (s > best) best = s;
    }
    return best;
  }

  chooseDevices(_s: unknown, pod: Workload, node: NodeInfo): GpuAssignment[] | null {
    const g = pod.gpu;
    if (g.kind === "whole") return wholeChoice(node, pod);
    if (g.kind === "mig") {
      const a = migChoice(node, pod);
      return a ? [a] : null;
    }
    if (g.kind !== "share") return [];
    const f0 = this.baseFragmentation(node);
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < node.gpuCount; i++) {
      if (!shareFits(node, i, pod, g.milli, g.memoryMiB)) continue;
      const s = this.placementScore(node, pod, f0, i, null);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return best < 0 ? null : [{ index: best, milli: g.milli, memoryMiB: g.memoryMiB }];
  }
}

export const fgdRegistrations = {
  FgdScore: registration(FgdArgsSchema, (args, handle) => new FgdScore(args, handle.stats)),
};
