import type { GpuAssignment } from "../../core/allocation.js";
import { findGpuModel, type MigProfile, migComputeSlicesOf } from "../../core/catalog.js";
import type { Workload } from "../../core/workload.js";
import type { NodeInfo } from "../snapshot/node-info.js";

/**
 * Shared GPU arithmetic for filters, scores and device choice. Units: milli (1000 = a whole GPU), MiB.
 * A MIG-enabled GPU is never shared by milli or handed out whole; it only holds MIG instances.
 */

export function modelAllowed(pod: Workload, model: string): boolean {
  const allowed = pod.gpuModels;
  return !allowed || allowed.length === 0 || allowed.includes(model);
}

/** Whether GPU `i` can take a share of `milli` compute and `memMiB` memory for this pod. */
export function shareFits(node: NodeInfo, i: number, pod: Workload, milli: number, memMiB: number): boolean {
  const g = node.spec.gpus[i]!;
  return (
    !g.migEnabled && node.gpuFree[i]! >= milli && node.gpuMemFree[i]! >= memMiB && modelAllowed(pod, g.model)
  );
}

export function wholeFree(node: NodeInfo, i: number, pod: Workload): boolean {
  const g = node.spec.gpus[i]!;
  return !g.migEnabled && node.gpuFree[i] === 1000 && modelAllowed(pod, g.model);
}

/** Indexes of fully free, allowed GPUs, lowest first. */
export function wholeFreeIndexes(node: NodeInfo, pod: Workload): number[] {
  const out: number[] = [];
  for (let i = 0; i < node.gpuCount; i++) if (wholeFree(node, i, pod)) out.push(i);
  return out;
}

/**
 * A set of `count` free GPUs that are pairwise NVLink-connected, lowest indexes first, or null.
 * Nodes without NVLink data have no such set (unless count is 1).
 */
export function nvlinkSet(node: NodeInfo, free: readonly number[], count: number): number[] | null {
  if (count <= 1) return free.length >= count ? free.slice(0, count) : null;
  const peers = node.spec.gpus.map((g) => new Set(g.nvlinkPeers ?? []));
  const pick: number[] = [];
  const grow = (from: number): boolean => {
    if (pick.length === count) return true;
    for (let k = from; k < free.length; k++) {
      const cand = free[k]!;
      if (pick.every((p) => peers[p]!.has(cand) && peers[cand]!.has(p))) {
        pick.push(cand);
        if (grow(k + 1)) return true;
        pick.pop();
      }
    }
    return false;
  };
  return grow(0) ? pick : null;
}

/** Where a MIG instance of `profile` could start on GPU `i`, or -1. Lowest start first. */
export function migStart(node: NodeInfo, i: number, profile: MigProfile): number {
  const used = node.migUsedMask[i]!;
  if (node.migUsedCompute[i]! + profile.computeSlices > migComputeSlicesOf(node.spec.gpus[i]!.model))
    return -1;
  if ((node.migCounts[i]!.get(profile.name) ?? 0) >= profile.maxCount) return -1;
  if (profile.name.endsWith("+me")) {
    for (const [name, c] of node.migCounts[i]!) if (name.endsWith("+me") && c > 0) return -1;
  }
  const width = (1 << profile.memorySlices) - 1;
  for (const s of profile.starts) {
    if (((width << s) & used) === 0) return s;
  }
  return -1;
}

export function migProfileOf(node: NodeInfo, i: number, name: string): MigProfile | undefined {
  const g = node.spec.gpus[i]!;
  if (!g.migEnabled) return undefined;
  return findGpuModel(g.model)?.migProfiles.find((p) => p.name === name);
}

/** First GPU (lowest index) that can hold a MIG instance for the pod, with its start. */
export function migChoice(node: NodeInfo, pod: Workload): GpuAssignment | null {
  if (pod.gpu.kind !== "mig") return null;
  for (let i = 0; i < node.gpuCount; i++) {
    if (!modelAllowed(pod, node.spec.gpus[i]!.model) || node.spec.gpus[i]!.unhealthy) continue;
    const profile = migProfileOf(node, i, pod.gpu.profile);
    if (!profile) continue;
    const start = migStart(node, i, profile);
    if (start >= 0)
      return { index: i, milli: 0, memoryMiB: profile.memoryMiB, mig: { profile: profile.name, start } };
  }
  return null;
}

/** The whole-GPU choice: an NVLink-connected set when one exists, else the lowest free indexes. */
export function wholeChoice(node: NodeInfo, pod: Workload): GpuAssignment[] | null {
  if (pod.gpu.kind !== "whole") return null;
  const free = wholeFreeIndexes(node, pod);
  if (free.length < pod.gpu.count) return null;
  const linked = pod.gpu.count > 1 ? nvlinkSet(node, free, pod.gpu.count) : null;
  if (!linked && pod.nvlink === "required" && pod.gpu.count > 1) return null;
  const pick = linked ?? free.slice(0, pod.gpu.count);
  return pick.map((index) => ({ index, milli: 1000, memoryMiB: node.spec.gpus[index]!.memoryMiB }));
}

export function shareAssignment(i: number, pod: Workload): GpuAssignment[] {
  if (pod.gpu.kind !== "share") throw new Error("not a share request");
  return [{ index: i, milli: pod.gpu.milli, memoryMiB: pod.gpu.memoryMiB }];
}

/** GPU compute the pod asks for in total, milli (MIG counts 0 here: it is not shared by milli). */
export function requestedMilli(pod: Workload): number {
  const g = pod.gpu;
  return g.kind === "share" ? g.milli : g.kind === "whole" ? g.count * 1000 : 0;
}
