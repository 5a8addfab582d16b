import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { findGpuModel } from "../core/catalog.js";
import type { GpuRequest, Workload } from "../core/workload.js";
import { POD_ANNOTATION, RESOURCE, SCHEDULER_NAME } from "./names.js";
import { nodeConstraintOf } from "./node-constraint.js";
import { cpuMilliOf, memoryMiBOf, quantityValue } from "./quantity.js";

/**
 * A Pod as a workload (pure): what gpupool schedules and how big it is.
 *
 * - GPU: `gpupool.dev/gpu` (and NVIDIA's `nvidia.com/gpu`, read as whole GPUs) summed over the
 *   containers; `gpupool.dev/gpu-milli` and/or `gpupool.dev/gpu-memory` make it a share of one GPU
 *   (every container asking `gpupool.dev/gpu: 1` then sees that one slice; milli and memory add up);
 *   the `gpupool.dev/mig` annotation makes it one MIG instance. Limits win over requests (extended
 *   resources have equal ones).
 * - CPU and memory: what kube-scheduler counts, max(Σ containers, each init container) + overhead.
 * - Priority: `spec.priority` (the API server resolved the PriorityClass into it).
 * - Queue: the `gpupool.dev/queue` annotation, else the namespace. Gang: `gpupool.dev/gang` (or
 *   scheduler-plugins' / Volcano's group name) with `gpupool.dev/gang-size`.
 * - The workload id is the pod's UID (a pod deleted and made again under its name is new work).
 */
export type PodWorkload = { readonly workload: Workload } | { readonly error: string };

export function isGpupoolPod(pod: V1Pod): boolean {
  return pod.spec?.schedulerName === SCHEDULER_NAME;
}

/** A pod that is gone for scheduling: finished, or being deleted and not bound. */
export function podFinished(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

export function podWorkload(pod: V1Pod, seq: number): PodWorkload {
  const uid = pod.metadata?.uid;
  if (!uid) return { error: "pod has no uid" };
  const ann = pod.metadata?.annotations ?? {};
  const containers = pod.spec?.containers ?? [];
  const sum = (name: string) => containers.reduce((s, c) => s + resourceOf(c, name), 0);
  const count = sum(RESOURCE.gpu) + sum(RESOURCE.nvidiaGpu);
  const milli = sum(RESOURCE.gpuMilli);
  const memoryBytes = sum(RESOURCE.gpuMemory);
  if (![count, milli, memoryBytes].every(Number.isFinite))
    return { error: "unreadable GPU resource quantity" };
  const mig = ann[POD_ANNOTATION.mig];
  let gpu: GpuRequest;
  if (mig !== undefined) {
    if (milli > 0 || memoryBytes > 0)
      return { error: `${POD_ANNOTATION.mig} cannot be combined with a GPU share` };
    gpu = { kind: "mig", profile: mig.trim() };
  } else if (milli > 0 || memoryBytes > 0) {
    // Containers asking for the GPU share the pod's one slice; their milli and memory add up.
    const most = Math.max(
      0,
      ...containers.map((c) => resourceOf(c, RESOURCE.gpu) + resourceOf(c, RESOURCE.nvidiaGpu)),
    );
    if (most > 1)
      return {
        error: `a GPU share (${RESOURCE.gpuMilli}, ${RESOURCE.gpuMemory}) is of one GPU: ${RESOURCE.gpu} must be 1`,
      };
    if (milli > 1000) return { error: `${RESOURCE.gpuMilli} is at most 1000 (one whole GPU), got ${milli}` };
    gpu = {
      kind: "share",
      milli: milli > 0 ? Math.round(milli) : 1000,
      memoryMiB: Math.ceil(memoryBytes / 2 ** 20),
    };
    if (milli === 1000 && memoryBytes === 0) gpu = { kind: "whole", count: 1 };
  } else if (count > 0) {
    if (!Number.isInteger(count)) return { error: `${RESOURCE.gpu} must be a whole number, got ${count}` };
    gpu = { kind: "whole", count };
  } else {
    gpu = { kind: "none" };
  }
  const models = (ann[POD_ANNOTATION.gpuModel] ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m) => findGpuModel(m)?.name ?? m);
  const cudaText = ann[POD_ANNOTATION.cuda]?.trim();
  let cuda: Workload["cuda"];
  if (cudaText) {
    const m = /^(\d+\.\d+)(\+compat)?$/.exec(cudaText);
    if (!m) return { error: `${POD_ANNOTATION.cuda} must look like 12.2 or 12.2+compat, got "${cudaText}"` };
    cuda = { version: m[1]!, ...(m[2] ? { forwardCompat: true } : {}) };
  }
  const gang = gangOf(ann);
  if (gang && "error" in gang) return gang;
  const { cpuMilli, memoryMiB } = podRequests(pod);
  const constraint = nodeConstraintOf(pod);
  return {
    workload: {
      id: uid,
      cpuMilli,
      memoryMiB,
      gpu,
      ...(models.length > 0 ? { gpuModels: models } : {}),
      ...(cuda ? { cuda } : {}),
      priority: pod.spec?.priority ?? 0,
      queue: ann[POD_ANNOTATION.queue] ?? pod.metadata?.namespace ?? "default",
      seq,
      preemptible: ann[POD_ANNOTATION.preemptible] !== "false",
      ...(gang ? { gang } : {}),
      ...(constraint ? { nodeConstraint: constraint } : {}),
    },
  };
}

function gangOf(
  ann: Readonly<Record<string, string>>,
): { id: string; size: number } | { error: string } | undefined {
  const name = ann[POD_ANNOTATION.gang] ?? ann[POD_ANNOTATION.podGroup] ?? ann[POD_ANNOTATION.volcanoGroup];
  if (name === undefined) return undefined;
  const sizeText = ann[POD_ANNOTATION.gangSize];
  const size = Number(sizeText);
  if (!sizeText || !Number.isInteger(size) || size < 1)
    return {
      error: `gang "${name}" needs ${POD_ANNOTATION.gangSize} (a whole number ≥ 1), got ${sizeText ?? "none"}`,
    };
  return { id: name, size };
}

function resourceOf(c: V1Container, name: string): number {
  const v = c.resources?.limits?.[name] ?? c.resources?.requests?.[name];
  return v === undefined ? 0 : quantityValue(v);
}

/** CPU (milli) and memory (MiB) a pod requests as kube-scheduler counts it. */
export function podRequests(pod: V1Pod): { cpuMilli: number; memoryMiB: number } {
  const req = (c: V1Container, r: "cpu" | "memory") => c.resources?.requests?.[r] ?? c.resources?.limits?.[r];
  let cpu = 0;
  let mem = 0;
  for (const c of pod.spec?.containers ?? []) {
    cpu += cpuMilliOf(req(c, "cpu"));
    mem += memoryMiBOf(req(c, "memory"));
  }
  for (const c of pod.spec?.initContainers ?? []) {
    cpu = Math.max(cpu, cpuMilliOf(req(c, "cpu")));
    mem = Math.max(mem, memoryMiBOf(req(c, "memory")));
  }
  const overhead = pod.spec?.overhead ?? {};
  return { cpuMilli: cpu + cpuMilliOf(overhead.cpu), memoryMiB: mem + memoryMiBOf(overhead.memory) };
}
