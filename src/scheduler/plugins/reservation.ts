import type { Workload } from "../../core/workload.js";
import type { NodeInfo } from "../snapshot/node-info.js";
import type { Shape } from "./fgd.js";

interface NodeType {
  readonly cpu: number;
  readonly mem: number;
  /** GPU count per model. */
  readonly gpus: ReadonlyMap<string, number>;
  /** GPU milli of all nodes of this type. */
  capacity: number;
}

/**
 * Which node types can host which typical pods, and how much of that capacity they will need.
 *
 * A node "type" is (CPU, memory, GPUs per model). A typical pod m can be hosted by the types whose
 * empty node fits it; its expected GPU demand (load × cluster × its share of the typical GPU demand)
 * divided by those types' capacity is the fraction of that capacity m needs. A pod p that fits more
 * types than m (H(m) ⊊ H(p)) pays, on a node of a type in H(m), the sum of those fractions: it is
 * taking capacity that m has fewer places to find. Pure and computed once per pod shape.
 */
export class Reservation {
  private readonly types: NodeType[] = [];
  private readonly typeOf = new Map<NodeInfo, number>();
  /** Per typical GPU shape: hostable type mask and the fraction of that capacity it needs. */
  private readonly demands: { hosts: Uint8Array; frac: number }[] = [];
  private readonly byPod = new Map<string, Float64Array>();
  /** The last pod asked about: a cycle asks for one pod across many nodes. */
  private lastPod: Workload | null = null;
  private lastCosts: Float64Array | null = null;

  constructor(
    nodes: readonly NodeInfo[],
    shapes: readonly Shape[],
    load: number,
    private readonly memoryAware: boolean,
  ) {
    const keys = new Map<string, number>();
    for (const n of nodes) {
      const gpus = new Map<string, number>();
      for (const g of n.spec.gpus) if (!g.migEnabled) gpus.set(g.model, (gpus.get(g.model) ?? 0) + 1);
      const key = `${n.spec.cpuMilli}|${n.spec.memoryMiB}|${[...gpus].sort().join(",")}`;
      let t = keys.get(key);
      if (t === undefined) {
        t = this.types.length;
        keys.set(key, t);
        this.types.push({ cpu: n.spec.cpuMilli, mem: n.spec.memoryMiB, gpus, capacity: 0 });
      }
      this.types[t]!.capacity += n.gpuCount * 1000;
      this.typeOf.set(n, t);
    }
    let cluster = 0;
    for (const t of this.types) cluster += t.capacity;
    let gpuWeight = 0;
    for (const s of shapes) gpuWeight += s.p * s.num * s.milli;
    if (gpuWeight === 0 || cluster === 0) return;
    for (const s of shapes) {
      if (s.num === 0) continue;
      const hosts = this.hostMask(s.cpu, s.mem, s.num, s.models);
      let cap = 0;
      for (let t = 0; t < this.types.length; t++) if (hosts[t]) cap += this.types[t]!.capacity;
      if (cap === 0) continue;
      const demand = (load * cluster * s.p * s.num * s.milli) / gpuWeight;
      this.demands.push({ hosts, frac: Math.min(1, demand / cap) });
    }
  }

  private hostMask(
    cpu: number,
    mem: number,
    num: number,
    models: ReadonlySet<string> | readonly string[] | null,
  ): Uint8Array {
    const allowed =
      models && ("size" in models ? models.size > 0 : models.length > 0) ? new Set(models) : null;
    const mask = new Uint8Array(this.types.length);
    for (let t = 0; t < this.types.length; t++) {
      const type = this.types[t]!;
      if (type.cpu < cpu || (this.memoryAware && type.mem < mem)) continue;
      let gpus = 0;
      for (const [model, count] of type.gpus) if (!allowed || allowed.has(model)) gpus += count;
      if (gpus >= num) mask[t] = 1;
    }
    return mask;
  }

  /** The reserved fraction a pod pays on this node (0 when it takes nothing scarcer than it needs). */
  cost(pod: Workload, node: NodeInfo): number {
    if (this.demands.length === 0) return 0;
    if (pod === this.lastPod) return this.lastCosts![this.typeOf.get(node) ?? 0] ?? 0;
    const g = pod.gpu;
    const key = `${pod.cpuMilli}|${pod.memoryMiB}|${g.kind === "whole" ? g.count : g.kind === "none" ? 0 : 1}|${pod.gpuModels?.join("|") ?? ""}`;
    let costs = this.byPod.get(key);
    if (costs === undefined) {
      const num = g.kind === "whole" ? g.count : g.kind === "none" ? 0 : 1;
      const mine = this.hostMask(pod.cpuMilli, pod.memoryMiB, num, pod.gpuModels ?? null);
      costs = new Float64Array(this.types.length);
      for (const d of this.demands) {
        let subset = true;
        let strict = false;
        for (let t = 0; t < mine.length; t++) {
          if (d.hosts[t] && !mine[t]) subset = false;
          if (mine[t] && !d.hosts[t]) strict = true;
        }
        if (!subset || !strict) continue;
        for (let t = 0; t < costs.length; t++) if (d.hosts[t]) costs[t] = Math.min(1, costs[t]! + d.frac);
      }
      this.byPod.set(key, costs);
    }
    this.lastPod = pod;
    this.lastCosts = costs;
    return costs[this.typeOf.get(node) ?? 0] ?? 0;
  }
}
