import type { V1Pod } from "@kubernetes/client-node";
import { SCHEDULER_FIELD_MANAGER } from "./assignment.js";
import { KubeError, type KubeHttp } from "./kube-http.js";
import { SCHEDULER_NAME } from "./names.js";

/** A pod as the writes name it. */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** The PodRef of a pod object (its uid for a name it lacks). */
export function podRef(pod: V1Pod): PodRef {
  const uid = pod.metadata?.uid ?? "";
  return { namespace: pod.metadata?.namespace ?? "default", name: pod.metadata?.name ?? uid, uid };
}

/**
 * What the Kubernetes scheduler writes to the API server: the port (kube-cluster.ts) calls these and
 * never builds a request itself, so tests can run the port over a recorder.
 */
export interface KubeWrites {
  /** Binds the pod with its assignment annotations; "gone" when the pod changed or is already bound. */
  bind(pod: PodRef, node: string, annotations: Readonly<Record<string, string>>): Promise<"bound" | "gone">;
  /** Evicts through the Eviction API; "blocked" when a PodDisruptionBudget refuses (HTTP 429). */
  evict(pod: PodRef): Promise<"evicted" | "blocked" | "gone">;
  /** Sets PodScheduled=False (reason Unschedulable) with the message and records a FailedScheduling event. */
  unschedulable(pod: PodRef, message: string): Promise<void>;
  /** Sets status.nominatedNodeName (a preemptor waits there for its victims). */
  nominate(pod: PodRef, node: string): Promise<void>;
  /** A Warning event on the pod (e.g. a pod gpupool refuses to schedule). */
  warn(pod: PodRef, reason: string, message: string): Promise<void>;
}

const STRATEGIC = "application/strategic-merge-patch+json";
const MERGE = "application/merge-patch+json";

export class HttpKubeWrites implements KubeWrites {
  constructor(
    private readonly http: KubeHttp,
    /** policy/v1 (Kubernetes ≥ 1.22) or policy/v1beta1 (1.20, 1.21): what the Eviction is sent as. */
    private readonly policyVersion: "v1" | "v1beta1" = "v1beta1",
    private readonly clock: () => number = Date.now,
    /** Who the events say wrote them (the agent names itself). */
    private readonly component: string = SCHEDULER_NAME,
  ) {}

  async bind(
    pod: PodRef,
    node: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<"bound" | "gone"> {
    const r = await this.http.call(
      "POST",
      `${podPath(pod)}/binding?fieldManager=${SCHEDULER_FIELD_MANAGER}`,
      {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, annotations },
        target: { apiVersion: "v1", kind: "Node", name: node },
      },
    );
    if (r.status >= 200 && r.status < 300) return "bound";
    if (r.status === 404 || r.status === 409) return "gone";
    throw new KubeError(r.status, r.body?.message ?? `HTTP ${r.status}`, r.body?.reason);
  }

  async evict(pod: PodRef): Promise<"evicted" | "blocked" | "gone"> {
    const r = await this.http.call("POST", `${podPath(pod)}/eviction`, {
      apiVersion: `policy/${this.policyVersion}`,
      kind: "Eviction",
      metadata: { name: pod.name, namespace: pod.namespace },
      deleteOptions: { preconditions: { uid: pod.uid } },
    });
    if (r.status >= 200 && r.status < 300) return "evicted";
    if (r.status === 429) return "blocked";
    if (r.status === 404 || r.status === 409) return "gone";
    throw new KubeError(r.status, r.body?.message ?? `HTTP ${r.status}`, r.body?.reason);
  }

  async unschedulable(pod: PodRef, message: string): Promise<void> {
    const now = new Date(this.clock()).toISOString().replace(/\.\d+Z$/, "Z");
    await this.patchStatus(pod, STRATEGIC, {
      status: {
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message,
            lastProbeTime: null,
            lastTransitionTime: now,
          },
        ],
      },
    });
    await this.event(pod, "Warning", "FailedScheduling", message, now);
  }

  async nominate(pod: PodRef, node: string): Promise<void> {
    await this.patchStatus(pod, MERGE, { status: { nominatedNodeName: node } });
  }

  async warn(pod: PodRef, reason: string, message: string): Promise<void> {
    await this.event(
      pod,
      "Warning",
      reason,
      message,
      new Date(this.clock()).toISOString().replace(/\.\d+Z$/, "Z"),
    );
  }

  private async patchStatus(pod: PodRef, type: string, body: unknown): Promise<void> {
    const r = await this.http.call("PATCH", `${podPath(pod)}/status`, body, type);
    if (r.status === 404) return; // deleted meanwhile
    if (r.status < 200 || r.status >= 300)
      throw new KubeError(r.status, r.body?.message ?? `HTTP ${r.status}`);
  }

  private async event(
    pod: PodRef,
    type: string,
    reason: string,
    message: string,
    now: string,
  ): Promise<void> {
    await this.http.ok("POST", `/api/v1/namespaces/${pod.namespace}/events`, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: `${pod.name}.`, namespace: pod.namespace },
      involvedObject: {
        kind: "Pod",
        apiVersion: "v1",
        namespace: pod.namespace,
        name: pod.name,
        uid: pod.uid,
      },
      type,
      reason,
      message,
      source: { component: this.component },
      reportingComponent: this.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }
}

function podPath(pod: PodRef): string {
  return `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`;
}
