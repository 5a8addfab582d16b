import { type QueueSpec, queueSpec } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import { makePod, type PodOpts } from "./builders.js";
import type { Scheduler } from "../scheduler.js";
import { type CycleResult, runCycle } from "../actions/cycle.js";

/** Test support: a generated job (gangSize > 1 submits that many members). */
export interface JobGen {
  readonly shape: PodOpts;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly priority: number;
  readonly queue: string;
  readonly preemptible: boolean;
  readonly gangSize: number;
  readonly cuda: string | undefined;
}

export interface QuotaChange {
  readonly queue: string;
  readonly guaranteeGpus: number;
  readonly guaranteeCpus: number;
  /** Limit = guarantee + this many GPUs; undefined = no limit. */
  readonly extraLimitGpus: number | undefined;
  readonly weight: number;
}

/** One step of a generated history. "preempt" submits a job meant to preempt (a top priority). */
export type Op =
  | { readonly kind: "submit" | "preempt"; readonly job: JobGen }
  | { readonly kind: "finish"; readonly pick: number }
  | { readonly kind: "quota"; readonly quota: QuotaChange };

/** The world around the scheduler (what a server would keep): what was submitted, what waits, the queues; applies ops and cycles. */
export class World {
  readonly jobs = new Map<string, Workload>();
  readonly pending = new Map<string, Workload>();
  queues = new Map<string, QueueSpec>();
  held: CycleResult["held"] = null;
  private next = 0;

  constructor(readonly scheduler: Scheduler) {}

  submit(g: JobGen): void {
    const n = this.next++;
    const members = g.gangSize;
    for (let k = 0; k < members; k++) {
      const w = makePod(`j${n}${members > 1 ? `-${k}` : ""}`, {
        ...g.shape,
        cpuMilli: g.cpuMilli,
        memoryMiB: g.memoryMiB,
        priority: g.priority,
        queue: g.queue,
        seq: n,
        ...(g.preemptible ? {} : { preemptible: false }),
        ...(members > 1 ? { gang: `g${n}:${members}` } : {}),
        ...(g.cuda ? { cuda: { version: g.cuda } } : {}),
      });
      this.jobs.set(w.id, w);
      this.pending.set(w.id, w);
    }
  }

  /** A running job finishes; its whole gang with it (gangs end together). */
  finish(pick: number): void {
    const running = this.scheduler.snapshot
      .placedWorkloads()
      .map((p) => p.workload)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    if (running.length === 0) return;
    const w = running[pick % running.length]!;
    const stmt = this.scheduler.statement();
    for (const r of running) if (r.id === w.id || (w.gang && r.gang?.id === w.gang.id)) stmt.evict(r.id);
    stmt.commit();
  }

  apply(op: Op): void {
    if (op.kind === "finish") {
      this.finish(op.pick);
      return;
    }
    if (op.kind !== "quota") {
      this.submit(op.job);
      return;
    }
    const q = op.quota;
    const guarantee = { gpuMilli: q.guaranteeGpus * 1000, cpuMilli: q.guaranteeCpus * 1000 };
    const limit =
      q.extraLimitGpus === undefined ? undefined : { gpuMilli: (q.guaranteeGpus + q.extraLimitGpus) * 1000 };
    this.queues.set(
      q.queue,
      queueSpec({ name: q.queue, weight: q.weight, guarantee, ...(limit ? { limit } : {}) }),
    );
  }

  cycle(): CycleResult {
    const r = runCycle(this.scheduler, {
      pending: [...this.pending.values()],
      queues: [...this.queues.values()],
      ...(this.held ? { held: this.held } : {}),
    });
    this.held = r.held;
    for (const a of r.bind) this.pending.delete(a.workloadId);
    for (const e of r.evict) this.pending.set(e.workloadId, this.jobs.get(e.workloadId)!);
    return r;
  }
}
