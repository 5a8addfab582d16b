import type { V1Node, V1Pod } from "@kubernetes/client-node";
import type { GpuRequest } from "../core/workload.js";
import { readAssignment } from "./assignment.js";
import { RESOURCE, SCHEDULER_NAME } from "./names.js";
import { readInventory } from "./node-inventory.js";
import { podFinished, podRequests, podWorkload } from "./pod-workload.js";
import { cpuMilliOf, memoryMiBOf } from "./quantity.js";

/**
 * The cluster's GPUs and GPU pods as `gpupool nodes --k8s` and `gpupool ps --k8s` show them (pure):
 * GPU nodes are those with the agent's inventory annotation; a GPU's slices are the assignments of
 * the live pods bound there; a pod's CPU and memory count on its node whoever scheduled it.
 */
export interface K8sNodeView {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  readonly simulated: boolean;
  readonly driverVersion: string | null;
  readonly unhealthyGpus: number;
  readonly used: { readonly cpuMilli: number; readonly memoryMiB: number; readonly gpuMilli: number };
  /** Live pods holding a gpupool slice here. */
  readonly pods: number;
  readonly ready: boolean;
  /** Why the inventory annotation could not be read; null when it could. */
  readonly inventoryError: string | null;
}

export interface K8sSliceView {
  readonly pod: string;
  readonly milli: number;
  readonly memoryMiB: number;
  readonly mig: string | null;
}

export interface K8sGpuView {
  readonly node: string;
  readonly index: number;
  readonly uuid: string | null;
  readonly model: string;
  readonly memoryMiB: number;
  readonly simulated: boolean;
  readonly usedMilli: number;
  readonly usedMemoryMiB: number;
  readonly unhealthy: string | null;
  readonly slices: readonly K8sSliceView[];
}

export interface K8sPodView {
  readonly namespace: string;
  readonly name: string;
  readonly phase: string;
  readonly scheduler: string;
  readonly node: string | null;
  readonly queue: string;
  readonly priority: number;
  /** What it asks of GPUs; null when its request is unreadable (error says why). */
  readonly gpu: GpuRequest | null;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** The GPUs its gpupool slice holds, empty when it holds none. */
  readonly holds: readonly { index: number; milli: number; memoryMiB: number; mig: string | null }[];
  /** Why it holds no slice although bound (another scheduler, a forged annotation); else null. */
  readonly noSlice: string | null;
  /** PodScheduled=False's message, or the request's error; null otherwise. */
  readonly reason: string | null;
  readonly createdAt: string | null;
}

export interface ClusterView {
  readonly nodes: readonly K8sNodeView[];
  readonly gpus: readonly K8sGpuView[];
  readonly pods: readonly K8sPodView[];
}

/** Whether a pod is one gpupool cares about: scheduled by it, or asking for a GPU resource. */
export function isGpuPod(pod: V1Pod): boolean {
  if (pod.spec?.schedulerName === SCHEDULER_NAME) return true;
  return (pod.spec?.containers ?? []).some((c) =>
    Object.keys({ ...c.resources?.limits, ...c.resources?.requests }).some(
      (k) => k.startsWith("gpupool.dev/") || k === RESOURCE.nvidiaGpu,
    ),
  );
}

export function clusterView(nodes: readonly V1Node[], pods: readonly V1Pod[]): ClusterView {
  const live = pods.filter((p) => !podFinished(p));
  const podName = (p: V1Pod) => `${p.metadata?.namespace ?? "default"}/${p.metadata?.name ?? ""}`;
  const nodeViews: K8sNodeView[] = [];
  const gpuViews: K8sGpuView[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name ?? "";
    const inv = readInventory(node);
    if (inv === undefined) continue; // not a GPU node (no agent)
    const here = live.filter((p) => p.spec?.nodeName === name);
    const held = here.flatMap((p) => {
      const a = readAssignment(p).allocation;
      return a ? [{ pod: podName(p), allocation: a }] : [];
    });
    const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
    const gpus = "error" in inv ? [] : inv.gpus;
    const requests = here.map(podRequests);
    const nodeGpus = gpus.map((g): K8sGpuView => {
      const slices = held.flatMap(({ pod, allocation }) =>
        allocation.gpus
          .filter((s) => s.index === g.index)
          .map((s) => ({ pod, milli: s.milli, memoryMiB: s.memoryMiB, mig: s.mig?.profile ?? null })),
      );
      return {
        node: name,
        index: g.index,
        uuid: g.uuid ?? null,
        model: g.model,
        memoryMiB: g.memoryMiB,
        simulated: g.simulated ?? false,
        usedMilli: slices.reduce((s, x) => s + x.milli, 0),
        usedMemoryMiB: slices.reduce((s, x) => s + x.memoryMiB, 0),
        unhealthy: g.unhealthy ?? null,
        slices,
      };
    });
    gpuViews.push(...nodeGpus);
    nodeViews.push({
      name,
      cpuMilli: cpuMilliOf(alloc.cpu),
      memoryMiB: memoryMiBOf(alloc.memory, "down"),
      gpus: gpus.length,
      simulated: node.metadata?.labels?.["gpupool.dev/simulated"] === "true" || gpus.some((g) => g.simulated),
      driverVersion: "error" in inv ? null : (inv.driverVersion ?? null),
      unhealthyGpus: gpus.filter((g) => g.unhealthy).length,
      used: {
        cpuMilli: requests.reduce((s, r) => s + r.cpuMilli, 0),
        memoryMiB: requests.reduce((s, r) => s + r.memoryMiB, 0),
        gpuMilli: nodeGpus.reduce((s, g) => s + g.usedMilli, 0),
      },
      pods: held.length,
      ready: node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True",
      inventoryError: "error" in inv ? inv.error : null,
    });
  }
  const podViews = pods.filter(isGpuPod).map((p): K8sPodView => {
    const w = podWorkload(p, 0);
    const read = p.spec?.nodeName ? readAssignment(p) : undefined;
    const scheduled = p.status?.conditions?.find((c) => c.type === "PodScheduled");
    const { cpuMilli, memoryMiB } = podRequests(p);
    return {
      namespace: p.metadata?.namespace ?? "default",
      name: p.metadata?.name ?? "",
      phase: p.metadata?.deletionTimestamp ? "Terminating" : (p.status?.phase ?? "Pending"),
      scheduler: p.spec?.schedulerName ?? "default-scheduler",
      node: p.spec?.nodeName ?? null,
      queue: "workload" in w ? (w.workload.queue ?? "default") : (p.metadata?.namespace ?? "default"),
      priority: p.spec?.priority ?? 0,
      gpu: "workload" in w ? w.workload.gpu : null,
      cpuMilli,
      memoryMiB,
      holds: (read?.allocation?.gpus ?? []).map((g) => ({
        index: g.index,
        milli: g.milli,
        memoryMiB: g.memoryMiB,
        mig: g.mig?.profile ?? null,
      })),
      noSlice: read && !read.allocation ? read.refused : null,
      reason:
        "error" in w
          ? w.error
          : scheduled?.status === "False"
            ? (scheduled.message ?? scheduled.reason ?? null)
            : null,
      createdAt: p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).toISOString() : null,
    };
  });
  return { nodes: nodeViews, gpus: gpuViews, pods: podViews };
}
