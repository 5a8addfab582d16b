import type { ArrayView, JobEventView, JobView, ServiceView } from "../api/schemas.js";
import { taskCount } from "../core/array.js";
import { type JobEvent, type JobRecord, ownerKind, type WorkloadRecord } from "../store/index.js";

/** Store records as the API shows them (api/schemas.ts). Times become ISO-8601 UTC strings (null when not reached). */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function jobView(job: JobRecord, pendingReason?: string): JobView {
  const spec = job.spec;
  return {
    id: job.id,
    name: job.name,
    tenant: job.tenant,
    state: job.state,
    reason: job.state === "Pending" && pendingReason ? pendingReason : job.reason,
    priority: job.priority,
    gang: job.gang,
    rank: spec.rank ?? null,
    array: ownerKind(job.owner) === "array" ? job.owner : null,
    service: ownerKind(job.owner) === "service" ? job.owner : null,
    node: job.node,
    gpus:
      job.state === "Scheduled" || job.state === "Starting" || job.state === "Running"
        ? (job.allocation?.gpus ?? []).map((g) => ({
            index: g.index,
            milli: g.milli,
            memoryMiB: g.memoryMiB,
            ...(g.mig ? { mig: g.mig.profile } : {}),
          }))
        : [],
    containerId: job.containerId,
    exitCode: job.exitCode,
    attempts: job.attempts,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    spec,
  };
}

export function eventView(e: JobEvent): JobEventView {
  return {
    seq: e.seq,
    jobId: e.jobId,
    at: new Date(e.at).toISOString(),
    type: e.type,
    from: e.from,
    to: e.to,
    reason: e.reason,
  };
}

export function arrayView(w: WorkloadRecord): ArrayView {
  const a = w.spec.array ?? { indexes: "", parallelism: 1, pack: 1 };
  return {
    id: w.id,
    name: w.name,
    tenant: w.tenant,
    state: w.state,
    reason: w.reason,
    indexes: a.indexes,
    parallelism: a.parallelism,
    pack: a.pack,
    tasks: taskCount(w.progress.total, a.pack),
    progress: w.progress,
    createdAt: new Date(w.createdAt).toISOString(),
    finishedAt: iso(w.finishedAt),
    spec: w.spec,
  };
}

export function serviceView(w: WorkloadRecord, extra: { value?: number; inflight: number }): ServiceView {
  const svc = w.spec.service!;
  const st = w.status!;
  return {
    id: w.id,
    name: w.name,
    tenant: w.tenant,
    state: w.state === "Running" ? "Running" : "Cancelled",
    reason: w.reason,
    desired: st.desired,
    live: st.live,
    ready: st.ready,
    updated: st.updated,
    generation: st.generation,
    minReplicas: svc.minReplicas,
    maxReplicas: svc.maxReplicas,
    endpoint: svc.port === undefined ? null : `http://127.0.0.1:${svc.port}`,
    autoscale: svc.autoscale
      ? {
          metric: svc.autoscale.metric,
          targetPerReplica: svc.autoscale.targetPerReplica,
          value: extra.value ?? null,
          inflight: extra.inflight,
        }
      : null,
    createdAt: new Date(w.createdAt).toISOString(),
    finishedAt: iso(w.finishedAt),
    spec: w.spec,
  };
}
