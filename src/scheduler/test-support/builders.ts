import { requireGpuModel } from "../../core/catalog.js";
import type { GpuDevice, NodeSpec } from "../../core/node.js";
import type { GpuRequest, Workload } from "../../core/workload.js";
import { type Policy, policyProfile } from "../policies.js";
import { Scheduler } from "../scheduler.js";

/**
 * Object builders for scheduler tests: short, readable nodes and pods with sensible defaults.
 * Units: CPU milli, memory MiB, GPU milli (1000 = one whole GPU).
 */

export interface NodeOpts {
  /** Default 32 CPUs. */
  readonly cpuMilli?: number;
  /** Default 256 GiB. */
  readonly memoryMiB?: number;
  /** Number of GPUs; default 0 (a CPU-only node). */
  readonly gpus?: number;
  /** Catalog model; default A100-80GB. */
  readonly model?: string;
  /**
   * NVLink topology: "all" (every GPU linked to every other), "pairs" (0-1, 2-3, …), "none"
   * (default), or explicit groups of GPU indexes that are fully linked within the group.
   */
  readonly nvlink?: "all" | "pairs" | "none" | readonly (readonly number[])[];
  /** MIG mode on every GPU. */
  readonly mig?: boolean;
  /** NVIDIA driver; default "550.54.14" (CUDA 12.4) when the node has GPUs. */
  readonly driver?: string;
  readonly labels?: Record<string, string>;
}

function nvlinkGroups(count: number, nvlink: NodeOpts["nvlink"]): readonly (readonly number[])[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (nvlink === "all") return [all];
  if (nvlink === "pairs") return all.filter((i) => i % 2 === 0).map((i) => all.slice(i, i + 2));
  if (nvlink === undefined || nvlink === "none") return [];
  return nvlink;
}

export function makeNode(name: string, o: NodeOpts = {}): NodeSpec {
  const count = o.gpus ?? 0;
  const model = requireGpuModel(o.model ?? "A100-80GB");
  const groups = nvlinkGroups(count, o.nvlink);
  const gpus: GpuDevice[] = Array.from({ length: count }, (_, index) => {
    const peers = groups.filter((g) => g.includes(index)).flatMap((g) => g.filter((j) => j !== index));
    return {
      index,
      model: model.name,
      memoryMiB: model.memoryMiB,
      ...(peers.length ? { nvlinkPeers: peers } : {}),
      ...(o.mig ? { migEnabled: true } : {}),
    };
  });
  return {
    name,
    cpuMilli: o.cpuMilli ?? 32_000,
    memoryMiB: o.memoryMiB ?? 256 * 1024,
    ...(o.labels ? { labels: o.labels } : {}),
    ...(count > 0 ? { driverVersion: o.driver ?? "550.54.14" } : o.driver ? { driverVersion: o.driver } : {}),
    gpus,
  };
}

export interface PodOpts extends Partial<Omit<Workload, "id" | "gpu" | "gang">> {
  /** Whole GPUs. */
  readonly gpus?: number;
  /** A share of one GPU, milli (1..1000). */
  readonly share?: number;
  /** GPU memory for a share, MiB. */
  readonly gpuMemoryMiB?: number;
  /** A MIG profile, e.g. "1g.10gb". */
  readonly mig?: string;
  /** Gang id and size, written "g:2". */
  readonly gang?: string;
}

export function makePod(id: string, o: PodOpts = {}): Workload {
  const { gpus, share, gpuMemoryMiB, mig, gang, ...rest } = o;
  let gpu: GpuRequest = { kind: "none" };
  if (gpus !== undefined) gpu = { kind: "whole", count: gpus };
  else if (share !== undefined || gpuMemoryMiB !== undefined)
    gpu = { kind: "share", milli: share ?? 0, memoryMiB: gpuMemoryMiB ?? 0 };
  else if (mig !== undefined) gpu = { kind: "mig", profile: mig };
  let gangRef: Workload["gang"];
  if (gang !== undefined) {
    const [gid, size] = gang.split(":");
    gangRef = { id: gid!, size: Number(size) };
  }
  return { cpuMilli: 1000, memoryMiB: 1024, ...rest, id, gpu, ...(gangRef ? { gang: gangRef } : {}) };
}

export function makeScheduler(nodes: readonly NodeSpec[], policy: Policy = "default", seed = 1): Scheduler {
  return new Scheduler(nodes, { profile: policyProfile(policy), seed });
}
