import { z } from "zod";
import type { Workload } from "../../core/workload.js";
import { registration } from "../framework/registry.js";
import type { NodeInfo } from "../snapshot/node-info.js";
import type { WorkloadStats } from "../stats/workload-stats.js";
import { FgdArgsSchema, FgdScore, TypicalPodSchema, toShapes } from "./fgd.js";
import { nvlinkSet, wholeFreeIndexes } from "./gpu-devices.js";
import { Reservation } from "./reservation.js";

/**
 * gpupool's default policy: FGD's fragmentation gradient, made memory-aware, with a consolidating
 * tie-break folded into the same score so selection stays incremental.
 * score = fgdScore · 2^20 + tieBreak, tieBreak in [0, 2^20).
 */
export const GpupoolArgsSchema = FgdArgsSchema.extend({
  memoryAware: z.boolean().default(true),
  strandWeight: z.number().nonnegative().default(1),
  /** Among equal scores: "used" prefers a node in use, then the fuller; "fullest" the fuller; "order" node order. */
  tieBreak: z.enum(["order", "used", "fullest"]).default("used"),
  /** Weight of the cost of taking capacity that only some typical pods' node types offer (see Reservation). */
  reserveWeight: z.number().nonnegative().default(1),
  /**
   * The whole expected workload (every pod shape, not just the typical 95 %) for sizing reservations;
   * rare big pods are exactly the ones that need them. Default: typicalPods.
   */
  demandPods: z.array(TypicalPodSchema).default([]),
  /** Expected workload as a multiple of the cluster's GPUs (sizes the constrained demand). */
  load: z.number().positive().default(1),
});
export type GpupoolArgs = z.infer<typeof GpupoolArgsSchema>;

const SCALE = 2 ** 20;

export class GpupoolScore extends FgdScore {
  override readonly name: string = "GpupoolScore";
  private readonly tie: GpupoolArgs["tieBreak"];

  private readonly reserveWeight: number;
  private reservation: Reservation;

  constructor(
    private readonly args: GpupoolArgs,
    private readonly nodes: readonly NodeInfo[],
    stats?: WorkloadStats,
  ) {
    super(args, stats);
    this.tie = args.tieBreak;
    this.reserveWeight = args.reserveWeight;
    this.reservation = this.buildReservation();
  }

  /** Demand: the args' demandPods if given; online, every shape seen; else the typical pods. */
  private buildReservation(): Reservation {
    const seen = this.online?.current.demand;
    const demand = this.args.demandPods.length
      ? toShapes(this.args.demandPods)
      : seen?.length
        ? toShapes(seen)
        : this.shapes;
    return new Reservation(this.nodes, demand, this.args.load, false);
  }

  override statsChanged(): void {
    super.statsChanged();
    if (this.online && this.args.demandPods.length === 0) this.reservation = this.buildReservation();
  }

  /**
   * Taking capacity that some typical pods need exclusively (only some node types can host them:
   * bigger CPU/memory, more GPUs, an allowed model) costs a pod that could have gone elsewhere the
   * expected fraction of that capacity those pods will need, per GPU-milli-equivalent it takes.
   */
  protected override placementCost(node: NodeInfo, pod: Workload): number {
    if (this.reserveWeight === 0) return 0;
    const frac = this.reservation.cost(pod, node);
    if (frac === 0) return 0;
    const milli =
      pod.gpu.kind === "share" ? pod.gpu.milli : pod.gpu.kind === "whole" ? pod.gpu.count * 1000 : 0;
    const equiv = milli;
    return this.reserveWeight * frac * equiv;
  }

  private tieKey(node: NodeInfo): number {
    const g = node.gpuCount;
    switch (this.tie) {
      case "order":
        return 0;
      case "used":
        // Prefer nodes already in use (keeps empty nodes whole for big pods), then the fullest GPUs.
        return (
          (node.placed.size > 0 ? SCALE / 2 : 0) +
          (g ? Math.floor(((g * 1000 - node.totalFree) / (g * 1000)) * (SCALE / 2 - 1)) : 0)
        );
      case "fullest":
        return g ? Math.floor(((g * 1000 - node.totalFree) / (g * 1000)) * (SCALE - 1)) : 0;
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
  GpupoolScore: registration(
    GpupoolArgsSchema,
    (args, handle) => new GpupoolScore(args, handle.snapshot.nodes, handle.stats),
  ),
};
