import { z } from "zod";
import type { Workload } from "../../core/workload.js";
import type { FilterPlugin } from "../framework/interfaces.js";
import { registration } from "../framework/registry.js";
import { type MaybeStatus, Status } from "../framework/status.js";
import type { NodeInfo } from "../snapshot/node-info.js";
import { migChoice, migProfileOf, modelAllowed, shareFits, wholeChoice, wholeFree } from "./gpu-devices.js";

const INSUFFICIENT_CPU = Status.unschedulable("Insufficient CPU");
const INSUFFICIENT_MEMORY = Status.unschedulable("Insufficient memory");
const TOO_MANY_PODS = Status.unschedulable("Too many pods");
const NO_GPUS = Status.unresolvable("node has no GPUs");
const UNHEALTHY = Status.unresolvable("every GPU of the node is unhealthy or its agent is gone");
const MODEL = Status.unresolvable("GPU model not allowed");
const NO_SHARE = Status.unschedulable("no GPU with enough free share");
const NO_WHOLE = Status.unschedulable("not enough free whole GPUs");
const NO_NVLINK = Status.unschedulable("no NVLink-connected set of free GPUs");
const NO_MIG_GPU = Status.unresolvable("no MIG-enabled GPU with that profile");
const NO_MIG_ROOM = Status.unschedulable("no room for the MIG instance");

/** CPU and memory fit (kube's NodeResourcesFit). */
export class NodeResourcesFit implements FilterPlugin {
  readonly name = "NodeResourcesFit";
  filter(_s: unknown, pod: Workload, node: NodeInfo): MaybeStatus {
    if (node.cpuFree < pod.cpuMilli) return INSUFFICIENT_CPU;
    if (node.memFree < pod.memoryMiB) return INSUFFICIENT_MEMORY;
    if (node.podsFree < 1) return TOO_MANY_PODS;
    return null;
  }
}

/** GPU fit for every request kind: model constraint, share room, whole GPUs (with NVLink when required), MIG room. */
export class GpuFit implements FilterPlugin {
  readonly name = "GpuFit";
  filter(_s: unknown, pod: Workload, node: NodeInfo): MaybeStatus {
    const g = pod.gpu;
    if (g.kind === "none") return null;
    if (node.gpuCount === 0) return NO_GPUS;
    if (node.healthyGpus === 0) return UNHEALTHY;
    if (pod.gpuModels?.length && !node.models.some((m) => modelAllowed(pod, m))) return MODEL;
    switch (g.kind) {
      case "share": {
        if (node.maxFree < g.milli) return NO_SHARE;
        for (let i = 0; i < node.gpuCount; i++)
          if (shareFits(node, i, pod, g.milli, g.memoryMiB)) return null;
        return NO_SHARE;
      }
      case "whole": {
        if (node.fullyFree < g.count) return NO_WHOLE;
        if (pod.nvlink === "required" && g.count > 1)
          return wholeChoice(node, pod) !== null ? null : NO_NVLINK;
        let free = 0;
        for (let i = 0; i < node.gpuCount; i++) if (wholeFree(node, i, pod)) free++;
        return free >= g.count ? null : NO_WHOLE;
      }
      case "mig": {
        let capable = false;
        for (let i = 0; i < node.gpuCount; i++) {
          if (modelAllowed(pod, node.spec.gpus[i]!.model) && migProfileOf(node, i, g.profile)) capable = true;
        }
        if (!capable) return NO_MIG_GPU;
        return migChoice(node, pod) ? null : NO_MIG_ROOM;
      }
    }
  }
}

/**
 * The workload's node constraint (Kubernetes: nodeSelector, required node affinity, taints and
 * tolerations): cacheable, since a constraint reads only labels and taints, which are part of the
 * node's state key, and its key is part of the pod's shape.
 */
export class NodeConstraints implements FilterPlugin {
  readonly name = "NodeConstraints";
  private readonly statuses = new Map<string, Status>();
  filter(_s: unknown, pod: Workload, node: NodeInfo): MaybeStatus {
    const why = pod.nodeConstraint?.admits(node.spec);
    if (!why) return null;
    let status = this.statuses.get(why);
    if (!status) {
      status = Status.unresolvable(why);
      this.statuses.set(why, status);
    }
    return status;
  }
}

export const fitRegistrations = {
  NodeResourcesFit: registration(z.object({}).strict(), () => new NodeResourcesFit()),
  NodeConstraints: registration(z.object({}).strict(), () => new NodeConstraints()),
  GpuFit: registration(z.object({}).strict(), () => new GpuFit()),
};
