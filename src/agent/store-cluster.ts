import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import { reasonKind } from "../core/pending-reason.js";
import type { QueueSpec } from "../core/queue.js";
import type { Workload } from "../core/workload.js";
import type { Eviction } from "../scheduler/actions/index.js";
import {
  inTransaction,
  type JobRecord,
  PLACED_STATES,
  type Store,
  type StoreChange,
  tenantQueueSpec,
} from "../store/index.js";
import type { ClusterChange, ClusterPort, PlacedWork } from "../loop/cluster-port.js";
import type { JobRunner } from "./job-runner.js";
import type { Logger } from "../loop/logger.js";
import { jobToWorkload } from "./workload.js";

/** Pending jobs of each tenant a cycle considers at least (besides the global window). */
export const PER_TENANT_WINDOW = 16;
/** Pending jobs a cycle considers by priority and submission order. */
export const DEFAULT_WINDOW = 64;

/**
 * The cluster port over gpupool's SQLite store, for one host (standalone `gpupool up`): the node is
 * this host, work is the store's jobs, queues are tenants, changes come from the store's change
 * feed, and binding starts the job runner's launch.
 */
export class StoreCluster implements ClusterPort {
  /** Why each pending job in the last window waits (the scheduler's reason), as last noted. */
  private readonly reasons = new Map<string, string>();
  private readonly records = new Map<string, { u: number; job: JobRecord }>();
  /** When the last cycle read its window of pending jobs (see reasonFor). */
  private windowAt = Number.NEGATIVE_INFINITY;
  private readonly nodeListeners = new Set<(change: ClusterChange) => void>();
  /** Why a GPU takes no new work (the GPU health monitor's); undefined: healthy. */
  private health: (index: number) => string | undefined = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly node: NodeSpec,
    private readonly runner: JobRunner,
    private readonly log: Logger,
    private readonly window = DEFAULT_WINDOW,
  ) {}

  /** The host, its unhealthy GPUs marked (they offer the scheduler nothing). */
  nodes(): readonly NodeSpec[] {
    const gpus = this.node.gpus.map((g) => {
      const why = this.health(g.index);
      return why === undefined ? g : { ...g, unhealthy: why };
    });
    return [{ ...this.node, gpus }];
  }

  /** Where GPU health comes from; call nodesChanged when it changes. */
  useHealth(health: (index: number) => string | undefined): void {
    this.health = health;
  }

  /** Tells the loop to read nodes() again (a GPU's health changed). */
  nodesChanged(): void {
    for (const l of this.nodeListeners) queueMicrotask(() => l({ kind: "nodes" }));
  }

  placed(): readonly PlacedWork[] {
    return this.store.jobs
      .list({ states: ["Scheduled", "Starting", "Running"] })
      .flatMap((j) => (j.allocation ? [{ workload: jobToWorkload(j), allocation: j.allocation }] : []));
  }

  queues(): readonly QueueSpec[] {
    return this.store.tenants
      .list()
      .map((t) =>
        tenantQueueSpec(
          t.name,
          t.quotas,
          t.quotas.gpuSeconds === undefined ? 0 : this.store.usage.ofTenant(t.name).gpuSeconds,
        ),
      );
  }

  /**
   * The first `window` pending jobs by priority then submission order, each tenant's first
   * PER_TENANT_WINDOW (so one tenant's backlog cannot hide another's), and every member of a gang any
   * of those belongs to: LIMIT queries on indexes, so a cycle costs the same with ten pending jobs or
   * ten thousand. Records come from a cache keyed by id and update time. (A tenant's GPU-second
   * budget is its queue's: the scheduler holds its GPU jobs back once it is spent.)
   */
  pending(now: number): readonly Workload[] {
    const tenants = this.store.tenants.list();
    const heads = this.store.jobs.pendingHeads(now, {
      window: this.window,
      perTenant: PER_TENANT_WINDOW,
      tenants: tenants.map((t) => t.name),
    });
    const ids = new Set(heads.map((h) => h.id));
    // Only what is considered now is cached or has a reason; the rest reads as queued (reasonFor).
    for (const id of this.records.keys()) if (!ids.has(id)) this.records.delete(id);
    for (const id of this.reasons.keys()) if (!ids.has(id)) this.reasons.delete(id);
    this.windowAt = now;
    const out: Workload[] = [];
    for (const h of heads) {
      let hit = this.records.get(h.id);
      if (!hit || hit.u !== h.updatedAt) {
        const job = this.store.jobs.get(h.id);
        if (!job) continue;
        hit = { u: h.updatedAt, job };
        this.records.set(h.id, hit);
      }
      out.push(jobToWorkload(hit.job));
    }
    return out;
  }

  changes(listener: (change: ClusterChange) => void): () => void {
    this.nodeListeners.add(listener);
    const off = this.store.changes.subscribe((c) => {
      const change = toClusterChange(c);
      // Delivered after the writer's call returns: never re-entrantly from inside bind or a stop.
      if (change) queueMicrotask(() => listener(change));
    });
    return () => {
      this.nodeListeners.delete(listener);
      off();
    };
  }

  /**
   * All bindings of a cycle in one commit, each job placed and its attempt begun (Pending →
   * Scheduled → Starting, a savepoint per job); each launch then proceeds on its own, one per
   * event-loop turn so a cycle that binds many jobs does not hold up requests. A restart before a
   * launch created its container finds the attempt without one and requeues the job (recover.ts).
   */
  bind(allocations: readonly Allocation[]): readonly string[] {
    const bound: string[] = [];
    inTransaction(this.store.db, () => {
      for (const a of allocations) {
        try {
          // One savepoint per job (a refused one writes nothing), one row write for both steps.
          this.store.jobs.bindAndStart(a.workloadId, {
            node: a.node,
            allocation: a,
            placedReason: `placed on ${a.node}${a.gpus.length ? ` GPU ${a.gpus.map((g) => g.index).join(",")}` : ""}`,
            startReason: "creating the container",
          });
          bound.push(a.workloadId);
        } catch (err) {
          this.log.warn({ err, job: a.workloadId }, "could not bind");
        }
      }
    });
    let gate: Promise<unknown> = Promise.resolve();
    for (const id of bound) {
      this.reasons.delete(id);
      gate = gate.then(() => new Promise((r) => setImmediate(r))).then(() => void this.runner.launch(id));
    }
    return bound;
  }

  evict(e: Eviction): void {
    void this.runner.stop(
      e.workloadId,
      "preempt",
      `${e.reason === "preempt" ? "preempted" : "reclaimed"} by ${e.by}`,
    );
  }

  /** Records why jobs wait, with an event when a job's reason changes kind (all in one transaction). */
  noteReasons(reasons: ReadonlyMap<string, string>): void {
    const changed: [string, string][] = [];
    for (const [id, reason] of reasons) {
      const before = this.reasons.get(id);
      this.reasons.set(id, reason);
      // Amounts in use change all the time; only a different kind of reason is a new event.
      if (before === undefined || reasonKind(before) !== reasonKind(reason)) changed.push([id, reason]);
    }
    if (changed.length === 0) return;
    inTransaction(this.store.db, () => {
      for (const [id, reason] of changed) {
        // Only pending jobs are given reasons, so the note needs no read of the job first.
        this.store.jobs.note(id, "pending", reason);
      }
    });
  }

  /**
   * Why a job waits, as the API shows it: the scheduler's reason for the jobs a cycle considered;
   * for a pending job left out of the last cycle's window, that it is queued behind others; else
   * undefined (the store's reason stands).
   */
  reasonFor(job: JobRecord): string | undefined {
    if (job.state !== "Pending") return undefined;
    const r = this.reasons.get(job.id);
    if (r !== undefined) return r;
    if (job.updatedAt <= this.windowAt && (job.notBefore ?? 0) <= this.windowAt)
      return `queued: ${this.window} earlier or higher-priority jobs (and each tenant's first ${PER_TENANT_WINDOW}) are considered first`;
    return undefined;
  }
}

function toClusterChange(c: StoreChange): ClusterChange | undefined {
  if (c.kind === "tenant") return { kind: "queues" };
  if (c.from !== null && PLACED_STATES.has(c.from) && !PLACED_STATES.has(c.to))
    return { kind: "released", id: c.id };
  if (c.to === "Pending") return { kind: "pending", id: c.id };
  return undefined;
}
