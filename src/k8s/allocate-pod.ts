import type { V1Pod } from "@kubernetes/client-node";
import type { Allocation } from "../core/allocation.js";
import { readAssignment } from "./assignment.js";
import { RESOURCE } from "./names.js";
import { podFinished } from "./pod-workload.js";

/**
 * Which pod an Allocate is for (pure). The kubelet does not say; it admits pods one at a time, and
 * its PodResources List shows every pod it has taken on with the devices each container got. So
 * the pod being admitted is the one bound to this node with a gpupool assignment that has a
 * container asking `gpupool.dev/gpu` for exactly as many devices as the request carries, whose
 * containers PodResources lists without gpupool devices yet, and that was not answered before.
 * Pods that finished or are being deleted are left out (a pod the kubelet just rejected stays
 * listed until deleted). Candidates in two pods: the caller lists again shortly, then fails closed;
 * within one pod, its first container (in spec order) without devices.
 */
export interface ListedPod {
  readonly namespace: string;
  readonly name: string;
  readonly containers: readonly { readonly name: string; readonly deviceIds: readonly string[] }[];
}

export interface AllocateTarget {
  readonly pod: V1Pod;
  readonly container: string;
  readonly allocation: Allocation;
}

export type Identified =
  | { readonly kind: "found"; readonly target: AllocateTarget }
  | { readonly kind: "ambiguous"; readonly candidates: readonly string[] }
  | { readonly kind: "none" };

export function identifyPod(
  listed: readonly ListedPod[],
  nodePods: readonly V1Pod[],
  deviceCount: number,
  answered: ReadonlySet<string>,
): Identified {
  const candidates: AllocateTarget[] = [];
  const pods = new Set<string>();
  for (const { l, pod, uid } of livePods(listed, nodePods)) {
    const { allocation } = readAssignment(pod);
    if (!allocation) continue;
    for (const c of waitingContainers(l, pod, deviceCount, answered)) {
      candidates.push({ pod, container: c, allocation });
      pods.add(uid);
    }
  }
  // Within one pod the kubelet allocates containers in spec order, recording each before the next.
  if (pods.size === 1) return { kind: "found", target: candidates[0]! };
  if (candidates.length === 0) return { kind: "none" };
  return {
    kind: "ambiguous",
    candidates: candidates.map((t) => `${t.pod.metadata?.namespace}/${t.pod.metadata?.name}/${t.container}`),
  };
}

/**
 * The pods the kubelet is admitting here that ask for `deviceCount` devices but hold no slice from
 * gpupool's scheduler, each with why (pure): what an Allocate that found no pod refuses, and tells.
 */
export function slicelessPods(
  listed: readonly ListedPod[],
  nodePods: readonly V1Pod[],
  deviceCount: number,
): { readonly pod: V1Pod; readonly why: string }[] {
  const out: { pod: V1Pod; why: string }[] = [];
  for (const { l, pod } of livePods(listed, nodePods)) {
    const read = readAssignment(pod);
    if (read.allocation) continue;
    if (waitingContainers(l, pod, deviceCount, new Set()).length > 0) out.push({ pod, why: read.refused });
  }
  return out;
}

/**
 * The pods PodResources lists that the agent's informer knows, left out those that finished or are
 * being deleted (a pod the kubelet just rejected stays listed until deleted).
 */
function* livePods(
  listed: readonly ListedPod[],
  nodePods: readonly V1Pod[],
): Generator<{ readonly l: ListedPod; readonly pod: V1Pod; readonly uid: string }> {
  const byName = new Map(nodePods.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
  for (const l of listed) {
    const pod = byName.get(`${l.namespace}/${l.name}`);
    const uid = pod?.metadata?.uid;
    if (!pod || !uid || pod.metadata?.deletionTimestamp || podFinished(pod)) continue;
    yield { l, pod, uid };
  }
}

/** The pod's containers asking for `deviceCount` devices that have none yet and were not answered. */
function waitingContainers(
  l: ListedPod,
  pod: V1Pod,
  deviceCount: number,
  answered: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const asks = Number(c.resources?.limits?.[RESOURCE.gpu] ?? c.resources?.requests?.[RESOURCE.gpu] ?? 0);
    if (asks !== deviceCount) continue;
    if (answered.has(`${pod.metadata?.uid}/${c.name}`)) continue;
    const seen = l.containers.find((x) => x.name === c.name);
    if (seen && seen.deviceIds.length > 0) continue;
    out.push(c.name);
  }
  return out;
}
