import type { NormalizedSpec } from "../core/job-spec.js";
import { isFinished, LIVE_STATES } from "../core/job-states.js";
import { autoscale, planReplicas, type ReplicaState, type ServiceStatus } from "../core/service.js";
import { gpuMilliTotal } from "../core/workload.js";
import {
  inTransaction,
  type JobRecord,
  ownerKind,
  type Store,
  type StoreChange,
  type WorkloadRecord,
} from "../store/index.js";
import type { Clock, Timer } from "../loop/clock.js";
import { DirtySet } from "./dirty-set.js";
import type { Logger } from "../loop/logger.js";

/**
 * What a service's endpoint knows that the reconciler does not: whether a replica answers, how many
 * requests wait or run, and how to take a replica out of rotation before it is stopped. The server's
 * endpoints (server/service-endpoints.ts) implement it; without them a Running replica counts as
 * ready and nothing is in flight.
 */
export interface ServiceTraffic {
  ready(serviceId: string, job: JobRecord): boolean;
  /** Requests waiting for a replica or in flight, through the service's endpoint. */
  inflight(serviceId: string): number;
  /** Stops sending the replica new requests; resolves once those it has are answered. */
  drain(serviceId: string, jobId: string): Promise<void>;
}

const RUNNING_IS_READY: ServiceTraffic = {
  ready: (_id, job) => job.state === "Running",
  inflight: () => 0,
  drain: async () => {},
};

/** Finished replicas kept for `ps -a`, logs and events; older ones are deleted. */
const KEEP_FINISHED = 20;
/** The ports replicas are given ($PORT) when the server does not say: [base, base + span). */
export const DEFAULT_REPLICA_PORTS = { base: 20_000, span: 10_000 } as const;

export interface ServiceReconcilerOptions {
  readonly store: Store;
  readonly log: Logger;
  readonly clock: Clock;
  /** Stops a replica's job (a cancel: pending at once, placed gracefully). */
  readonly stop: (jobId: string, reason: string) => Promise<void>;
  /** What a pruned replica leaves outside the store (its container, its archived logs), removed after the commit. */
  readonly forget?: (job: JobRecord) => Promise<void>;
  /** How often autoscaled services are looked at, ms (default 500). */
  readonly tickMs?: number;
  readonly replicaPorts?: { readonly base: number; readonly span: number };
}

/**
 * Turns services (store/workloads.ts kind service) into replica jobs, the way a Deployment's
 * controller keeps its pods: each reconcile reads the service, its live replicas and their
 * readiness, plans (core/service.ts planReplicas) which replicas to make and which to retire to
 * reach the desired count of the current spec, and writes the status back. Replicas that end
 * (failed, or a preempted one that exited) drop out of the live set and are made again; a replica
 * is retired by draining it at the endpoint, then stopping it. The autoscaler ticks on the clock
 * and changes the desired count (core/service.ts autoscale).
 *
 * Its memory holds only what is in flight (replicas being drained, reported queue lengths): after a
 * crash, a reconcile from the store plans again, and the (owner, slot) index refuses a second job
 * for a slot.
 */
export class ServiceReconciler {
  private traffic: ServiceTraffic = RUNNING_IS_READY;
  private readonly dirty: DirtySet;
  private readonly retiring = new Map<string, Promise<void>>();
  private readonly reported = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;
  private tick: Timer | undefined;
  private closed = false;

  constructor(private readonly o: ServiceReconcilerOptions) {
    this.dirty = new DirtySet((id) => this.reconcile(id), o.log, "service");
  }

  /** Where readiness, in-flight counts and draining come from (the server's endpoints). */
  useTraffic(traffic: ServiceTraffic): void {
    this.traffic = traffic;
  }

  start(): void {
    this.unsubscribe = this.o.store.changes.subscribe((c: StoreChange) => {
      if (c.kind === "job" && c.owner && ownerKind(c.owner) === "service") this.poke(c.owner);
    });
    for (const w of this.running()) this.dirty.mark(w.id);
    this.dirty.flush();
    this.schedule();
  }

  /** Asks for a reconcile of service `id` soon (an endpoint saw a replica become ready or gone). */
  poke(id: string): void {
    if (!this.closed) this.dirty.mark(id);
  }

  /** A queue length the service reported (the `queue` metric); it stands until the next report. */
  report(id: string, queue: number): void {
    this.reported.set(id, queue);
    this.poke(id);
  }

  /** The last reported queue length. */
  reportedQueue(id: string): number | undefined {
    return this.reported.get(id);
  }

  private running(): WorkloadRecord[] {
    return this.o.store.workloads.list({ running: true, kind: "service" });
  }

  private schedule(): void {
    if (this.closed) return;
    this.tick = this.o.clock.setTimeout(() => {
      try {
        for (const w of this.running()) if (w.spec.service?.autoscale) this.autoscaleOne(w);
      } catch (err) {
        this.o.log.error({ err }, "service autoscale failed");
      }
      this.schedule();
    }, this.o.tickMs ?? 500);
    this.tick.unref?.();
  }

  /** One autoscaler step of a service: a new desired count (and idle clock) when the metric says so. */
  autoscaleOne(w: WorkloadRecord): void {
    const spec = w.spec.service;
    const status = w.status;
    if (!spec?.autoscale || !status) return;
    const inflight = this.traffic.inflight(w.id);
    const value = spec.autoscale.metric === "queue" ? this.reported.get(w.id) : inflight;
    const now = this.o.clock.now();
    const next = autoscale({ spec, status, value, inflight, now });
    if (next.desired === status.desired && next.idleSince === status.idleSince && value === status.metric)
      return;
    const changed = next.desired !== status.desired;
    this.o.store.workloads.setStatus(
      w.id,
      {
        ...status,
        desired: next.desired,
        idleSince: next.idleSince,
        ...(changed ? { lastScaleAt: now } : {}),
        ...(value !== undefined ? { metric: value } : {}),
        inflight,
      },
      w.reason ?? undefined,
    );
    if (changed) {
      this.o.log.info(
        { service: w.id, from: status.desired, to: next.desired, metric: value },
        "service scaled",
      );
      this.poke(w.id);
    }
  }

  /** Sets a service's desired replicas by hand (`gpupool scale`); the autoscaler goes on from there. */
  scale(id: string, replicas: number): void {
    const w = this.o.store.workloads.get(id);
    if (!w?.status) return;
    this.o.store.workloads.setStatus(
      id,
      { ...w.status, desired: replicas, lastScaleAt: this.o.clock.now() },
      w.reason ?? undefined,
    );
    this.reconcile(id);
  }

  /** One reconcile of service `id`; returns its status (undefined: no such service). */
  reconcile(id: string): ServiceStatus | undefined {
    if (this.closed) return undefined;
    const retire: string[] = [];
    const pruned: JobRecord[] = [];
    const status = inTransaction(this.o.store.db, () => {
      const w = this.o.store.workloads.get(id);
      const spec = w?.spec.service;
      if (w?.kind !== "service" || !spec || !w.status) return undefined;
      const owned = this.o.store.jobs.list({ owner: id });
      const live = owned.filter((j) => !isFinished(j.state) && !this.retiring.has(j.id));
      const replicas: ReplicaState[] = live.map((j) => ({
        jobId: j.id,
        slot: j.ownerSlot ?? 0,
        generation: j.spec.serviceGeneration ?? 1,
        ready: this.traffic.ready(id, j),
      }));
      let reason: string | undefined;
      if (w.state === "Running") {
        const plan = planReplicas(replicas, w.status.desired, w.status.generation, spec);
        retire.push(...plan.retire);
        const room = this.room(w, live.length - plan.retire.length);
        const create = Math.min(plan.create, room.replicas);
        if (create < plan.create) reason = `${plan.create - create} replica(s) wait: ${room.why}`;
        const waitMs = this.crashBackoffMs(owned);
        if (create > 0 && waitMs > 0) {
          reason = `replicas keep failing: the next one in ${Math.ceil(waitMs / 1000)} s`;
          this.o.clock.setTimeout(() => this.poke(id), waitMs).unref?.();
        } else if (create > 0) {
          this.create(w, owned, create);
        }
        pruned.push(...this.prune(owned));
      }
      const after = this.o.store.jobs.list({ owner: id, states: LIVE_STATES });
      const kept = after.filter((j) => !this.retiring.has(j.id) && !retire.includes(j.id));
      const next: ServiceStatus = {
        ...w.status,
        // Replicas being drained or stopped are live until they end, but serve nothing.
        live: after.length,
        ready: kept.filter((j) => this.traffic.ready(id, j)).length,
        updated: kept.filter((j) => (j.spec.serviceGeneration ?? 1) === w.status!.generation).length,
      };
      this.o.store.workloads.setStatus(id, next, w.state === "Running" ? reason : (w.reason ?? undefined));
      return next;
    });
    for (const jobId of retire) this.retire(id, jobId, "service scaled down or updated");
    for (const job of pruned)
      void this.o
        .forget?.(job)
        .catch((err: unknown) =>
          this.o.log.warn({ err, job: job.id }, "removing a pruned replica's container or logs failed"),
        );
    return status;
  }

  /**
   * Drains a replica at the endpoint, then stops it; the service is reconciled again once it is
   * stopped. Resolves when it is stopped.
   */
  retire(serviceId: string, jobId: string, reason: string): Promise<void> {
    const pending = this.retiring.get(jobId);
    if (pending) return pending;
    const done = this.traffic
      .drain(serviceId, jobId)
      .then(() => this.o.stop(jobId, reason))
      .catch((err: unknown) =>
        this.o.log.warn({ err, service: serviceId, job: jobId }, "replica stop failed"),
      )
      .finally(() => {
        this.retiring.delete(jobId);
        this.poke(serviceId);
      });
    this.retiring.set(jobId, done);
    return done;
  }

  /** How many more replicas the tenant's quotas (activeJobs, gpuMilli) leave room for, and why not more. */
  private room(w: WorkloadRecord, keeping: number): { replicas: number; why: string } {
    const quotas = this.o.store.tenants.get(w.tenant)?.quotas ?? {};
    let replicas = Number.POSITIVE_INFINITY;
    let why = "";
    const others = this.o.store.jobs
      .list({ tenant: w.tenant, states: LIVE_STATES })
      .filter((j) => j.owner !== w.id);
    if (quotas.activeJobs !== undefined) {
      const left = Math.max(0, quotas.activeJobs - others.length - keeping);
      if (left < replicas) {
        replicas = left;
        why = `tenant ${w.tenant}'s activeJobs quota (${quotas.activeJobs}) is reached`;
      }
    }
    const per = gpuMilliTotal(w.spec.gpu);
    if (quotas.gpuMilli !== undefined && per > 0) {
      const used = others.reduce((sum, j) => sum + gpuMilliTotal(j.spec.gpu), 0) + keeping * per;
      const left = Math.max(0, Math.floor((quotas.gpuMilli - used) / per));
      if (left < replicas) {
        replicas = left;
        why = `tenant ${w.tenant}'s GPU quota (${quotas.gpuMilli / 1000} GPU) leaves room for ${keeping + left} replica(s) of ${per / 1000} GPU`;
      }
    }
    return { replicas, why };
  }

  /**
   * How long to wait before making a replica again, when the last ones failed one after another
   * soon after they started: 1 s doubling per failure, at most 60 s (a crash loop's backoff).
   */
  private crashBackoffMs(owned: readonly JobRecord[]): number {
    const finished = owned
      .filter((j) => isFinished(j.state))
      .sort((a, b) => (b.ownerSlot ?? 0) - (a.ownerSlot ?? 0));
    let streak = 0;
    for (const j of finished) {
      if (j.state !== "Failed") break;
      streak++;
    }
    if (streak === 0) return 0;
    const last = finished[0]!;
    const delay = Math.min(60_000, 1000 * 2 ** (streak - 1));
    return Math.max(0, (last.finishedAt ?? 0) + delay - this.o.clock.now());
  }

  private create(w: WorkloadRecord, owned: readonly JobRecord[], count: number): void {
    let slot = owned.reduce((m, j) => Math.max(m, j.ownerSlot ?? -1), -1) + 1;
    const used = new Set(this.o.store.workloads.replicaPortsInUse());
    for (const s of this.running()) if (s.spec.service?.port !== undefined) used.add(s.spec.service.port);
    const { base, span } = this.o.replicaPorts ?? DEFAULT_REPLICA_PORTS;
    for (let i = 0; i < count; i++, slot++) {
      let port = base + ((hash(w.id) + slot) % span);
      for (let tries = 0; used.has(port) && tries < span; tries++) port = base + ((port - base + 1) % span);
      used.add(port);
      const name = `${w.name}-${slot}`;
      this.o.store.jobs.submit(w.tenant, {
        name,
        spec: replicaSpec(w.spec, name, port, w.status!.generation),
        priority: w.spec.priority,
        queue: w.tenant,
        owner: { id: w.id, slot },
      });
    }
  }

  /** Deletes the oldest finished replicas beyond the last KEEP_FINISHED; returns them. */
  private prune(owned: readonly JobRecord[]): JobRecord[] {
    const finished = owned.filter((j) => isFinished(j.state));
    const old = finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED));
    for (const j of old) this.o.store.jobs.delete(j.id);
    return old;
  }

  /** Resolves once every replica being retired is stopped (tests, close). */
  async settle(): Promise<void> {
    while (this.retiring.size > 0) await Promise.all([...this.retiring.values()]);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    if (this.tick) this.o.clock.clearTimeout(this.tick);
    this.dirty.clear();
  }
}

/** A replica's spec: the service's, without `service`, named for its slot, with its port and generation. */
export function replicaSpec(
  spec: NormalizedSpec,
  name: string,
  port: number,
  generation: number,
): NormalizedSpec {
  const { service: _service, ...rest } = spec;
  return { ...rest, name, servicePort: port, serviceGeneration: generation };
}

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}
