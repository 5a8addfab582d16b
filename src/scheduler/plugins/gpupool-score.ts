import { z } from "zod";
import type { Workload } from "../../core/workload.js";
import { registration } from "../framework/registry.js";
import type { NodeInfo } from "../snapshot/node-info.js";
import { FgdArgsSchema, FgdScore } from "./fgd.js";
import { nvlinkSet, wholeFreeIndexes } from "./gpu-devices.js";

/**
 * gpupool's default policy: FGD's fragmentation gradient, made memory-aware, with a consolidating
 * tie-break folded into the same score so selection stays incremental.
 * score = fgdScore · 2^20 + tieBreak, tieBreak in [0, 2^20).
 */
export const GpupoolArgsSchema = FgdArgsSchema.extend({
  memoryAware: z.boolean().default(true),
  strandWeight: z.number().nonnegative().default(1),
  tieBreak: z.enum(["order", "used", "fullest", "cpu", "small"]).default("used"),
  /** Weight of the cost of taking model-constrained capacity with an unconstrained pod. */
  reserveWeight: z.number().nonnegative().default(1),
  /** Expected workload as a multiple of the cluster's GPUs (sizes the constrained demand). */
  load: z.number().positive().default(1),
});
export type GpupoolArgs = z.infer<typeof GpupoolArgsSchema>;

const SCALE = 2 ** 20;

export class GpupoolScore extends FgdScore {
  override readonly name: string = "GpupoolScore";
  private readonly tie: GpupoolArgs["tieBreak"];

  /** Per GPU model: the fraction of its capacity the model-constrained typical pods are expected to need. */
  private readonly reserved = new Map<string, number>();
  private readonly reserveWeight: number;

  constructor(args: GpupoolArgs, capacityByModel: ReadonlyMap<string, number>) {
    super(args);
    this.tie = args.tieBreak;
    this.reserveWeight = args.reserveWeight;
    let gpuWeight = 0;
    for (const sh of this.shapes) gpuWeight += sh.p * sh.num * sh.milli;
    let cluster = 0;
    for (const c of capacityByModel.values()) cluster += c;
    if (gpuWeight > 0) {
      for (const sh of this.shapes) {
        if (!sh.models || sh.num === 0) continue;
        let cap = 0;
        for (const m of sh.models) cap += capacityByModel.get(m) ?? 0;
        if (cap === 0) continue;
        const demand = (args.load * cluster * sh.p * sh.num * sh.milli) / gpuWeight;
        for (const m of sh.models) this.reserved.set(m, Math.min(1, (this.reserved.get(m) ?? 0) + demand / cap));
      }
    }
  }

  protected override placementCost(node: NodeInfo, pod: Workload): number {
    if (this.reserved.size === 0 || (pod.gpuModels && pod.gpuModels.length > 0)) return 0;
    const milli = pod.gpu.kind === "share" ? pod.gpu.milli : pod.gpu.kind === "whole" ? pod.gpu.count * 1000 : 0;
    if (milli === 0) return 0;
    let frac = 0;
    for (const m of node.models) frac = Math.max(frac, this.reserved.get(m) ?? 0);
    return this.reserveWeight * frac * milli;
  }

  private tieKey(node: NodeInfo): number {
    const g = node.gpuCount;
    switch (this.tie) {
      case "order":
        return 0;
      case "used":
        // Prefer nodes already in use (keeps empty nodes whole for big pods), then the fullest GPUs.
        return (node.placed.size > 0 ? SCALE / 2 : 0) + (g ? Math.floor(((g * 1000 - node.totalFree) / (g * 1000)) * (SCALE / 2 - 1)) : 0);
      case "fullest":
        return g ? Math.floor(((g * 1000 - node.totalFree) / (g * 1000)) * (SCALE - 1)) : 0;
      case "cpu":
        return (node.placed.size > 0 ? SCALE / 2 : 0) + Math.floor((1 - node.cpuFree / Math.max(1, node.spec.cpuMilli)) * (SCALE / 2 - 1));
      case "small":
        return (node.placed.size > 0 ? SCALE / 2 : 0) + (SCALE / 2 - 1 - Math.min(SCALE / 2 - 1, node.totalFree));
    }
  }

  /** 1 when the pod gets what its topology wants here: NVLink-connected GPUs for a multi-GPU pod. */
  private topologyKey(pod: Workload, node: NodeInfo): number {
    if (pod.gpu.kind !== "whole" || pod.gpu.count < 2) return 1;
    if (!node.spec.gpus.some((g) => g.nvlinkPeers?.length)) return 0;
    return nvlinkSet(node, wholeFreeIndexes(node, pod), pod.gpu.count) ? 1 : 0;
  }

  /** Lexicographic: topology fit, then the FGD-style score (0..100), then the tie-break. */
  override score(s: unknown, pod: Workload, node: NodeInfo): number {
    return (this.topologyKey(pod, node) * 128 + super.score(s, pod, node)) * SCALE + this.tieKey(node);
  }
}

export const gpupoolRegistrations = {
  GpupoolScore: registration(GpupoolArgsSchema, (args, handle) => {
    const capacity = new Map<string, number>();
    for (const n of handle.snapshot.nodes) for (const g of n.spec.gpus) capacity.set(g.model, (capacity.get(g.model) ?? 0) + 1000);
    return new GpupoolScore(args, capacity);
  }),
};
