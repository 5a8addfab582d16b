import { z } from "zod";
import type { Workload } from "../../core/workload.js";
import type { Handle, ScorePlugin } from "../framework/interfaces.js";
import { registration } from "../framework/registry.js";
import type { Rng } from "../framework/rng.js";
import { type NodeInfo, shapeTag } from "../snapshot/node-info.js";
import { requestedMilli } from "./gpu-devices.js";

/**
 * The baseline score policies of the FGD paper's experiments (../shared/design/FGD-PROTOCOL.md),
 * plus binpack and spread for users. All integer scores, floored as the paper's simulator does.
 * Normalisation constants are the largest node's CPU and GPU capacity in the snapshot ("norm=max").
 */

interface Norms {
  readonly cpu: number;
  readonly gpu: number;
}

function norms(h: Handle): Norms {
  let cpu = 1;
  let gpu = 1;
  for (const n of h.snapshot.nodes) {
    cpu = Math.max(cpu, n.spec.cpuMilli);
    gpu = Math.max(gpu, n.gpuCount * 1000);
  }
  return { cpu, gpu };
}

/** Uniform over feasible nodes: an independent random score per node and pod. */
export class RandomScore implements ScorePlugin {
  readonly name = "RandomScore";
  readonly cacheable = false;
  constructor(private readonly rng: Rng) {}
  score(): number {
    return this.rng.next();
  }
}

/** Tetris-style dot product of free and requested (CPU, GPU), higher for smaller overlap. */
export class DotProductScore implements ScorePlugin {
  readonly name = "DotProductScore";
  readonly cacheable = true;
  constructor(private readonly n: Norms) {}
  score(_s: unknown, pod: Workload, node: NodeInfo): number {
    const cpu = (node.cpuFree / this.n.cpu) * (pod.cpuMilli / this.n.cpu);
    const gpu = (node.totalFree / this.n.gpu) * (requestedMilli(pod) / this.n.gpu);
    return Math.floor(100 * (1 - 0.5 * (cpu + gpu)));
  }
}

/** Puts GPU pods of one kind together (share-gpu vs k-gpu), then prefers fuller nodes. */
export class ClusteringScore implements ScorePlugin {
  readonly name = "ClusteringScore";
  readonly cacheable = true;
  constructor(private readonly n: Norms) {}
  score(_s: unknown, pod: Workload, node: NodeInfo): number {
    if (pod.gpu.kind === "none") return 0;
    const t = shapeTag(pod);
    const tags = new Set<string>();
    for (const tag of node.tags()) if (tag !== "cpu") tags.add(tag);
    const b = Math.floor((25 * (this.n.gpu - node.totalFree)) / this.n.gpu);
    if (tags.has(t)) return tags.size === 1 ? b + 75 : b + 50;
    return tags.size === 0 ? b + 25 : b;
  }
}

/** GPU packing: prefer partly used GPUs, then fewest fully free GPUs broken into. */
export class PackingScore implements ScorePlugin {
  readonly name = "PackingScore";
  readonly cacheable = true;
  score(_s: unknown, pod: Workload, node: NodeInfo): number {
    const g = pod.gpu;
    if (g.kind === "none" || g.kind === "mig") return 0;
    if (node.fullyFree === node.gpuCount) {
      const f = node.fullyFree;
      return Math.max(33 - f, f);
    }
    const milli = g.kind === "share" ? g.milli : 1000;
    const k = g.kind === "whole" ? g.count : 1;
    const order = node.gpuFree
      .map((free, i) => ({ free, i }))
      .filter((d) => d.free >= milli)
      .sort((a, b) => a.free - b.free || a.i - b.i)
      .slice(0, k);
    const usedFree = order.filter((d) => d.free === 1000).length;
    if (usedFree > 0) return Math.max(50 - usedFree, 33);
    let s = 0;
    for (const d of order) s += Math.floor((d.free * 100) / 1000);
    return Math.max(100 - Math.floor(s / 10), 50);
  }
}

/** Best fit: least (CPU, GPU) left after placing, min-max normalised over feasible nodes to 0..100. */
export class BestFitScore implements ScorePlugin {
  readonly name = "BestFitScore";
  readonly cacheable = true;
  constructor(private readonly n: Norms) {}
  score(_s: unknown, pod: Workload, node: NodeInfo): number {
    const cpu = (0.5 * (node.cpuFree - pod.cpuMilli)) / this.n.cpu;
    const gpu = (0.5 * (node.totalFree - requestedMilli(pod))) / this.n.gpu;
    return Math.floor(100 * (1 - (cpu + gpu)));
  }
  normalize(_s: unknown, _p: Workload, scores: Float64Array, count: number): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < count; j++) {
      lo = Math.min(lo, scores[j]!);
      hi = Math.max(hi, scores[j]!);
    }
    for (let j = 0; j < count; j++)
      scores[j] = hi === lo ? 0 : Math.floor(((scores[j]! - lo) * 100) / (hi - lo));
  }
}

/** Binpack: prefer the node already most used (GPU share first, then CPU), 0..100. */
export class BinpackScore implements ScorePlugin {
  readonly name = "BinpackScore";
  readonly cacheable = true;
  score(_s: unknown, _pod: Workload, node: NodeInfo): number {
    const gpuUsed = node.gpuCount ? 1 - node.totalFree / (node.gpuCount * 1000) : 0;
    const cpuUsed = 1 - node.cpuFree / Math.max(node.spec.cpuMilli, 1);
    return Math.floor(100 * (0.75 * gpuUsed + 0.25 * cpuUsed));
  }
}

/** Spread: the opposite of binpack; prefer the emptiest node. */
export class SpreadScore implements ScorePlugin {
  readonly name = "SpreadScore";
  readonly cacheable = true;
  private readonly binpack = new BinpackScore();
  score(s: unknown, pod: Workload, node: NodeInfo): number {
    return 100 - this.binpack.score(s, pod, node);
  }
}

const none = z.object({}).strict();
export const baselineRegistrations = {
  RandomScore: registration(none, (_a, h) => new RandomScore(h.rng)),
  DotProductScore: registration(none, (_a, h) => new DotProductScore(norms(h))),
  ClusteringScore: registration(none, (_a, h) => new ClusteringScore(norms(h))),
  PackingScore: registration(none, () => new PackingScore()),
  BestFitScore: registration(none, (_a, h) => new BestFitScore(norms(h))),
  BinpackScore: registration(none, () => new BinpackScore()),
  SpreadScore: registration(none, () => new SpreadScore()),
};
