import { inTransaction, type JobRecord, PLACED_STATES, type Store } from "../store/index.js";
import { gangRepair } from "./gang-repair.js";
import { type AfterExit, holdRetryForGang, type StopIntent, type StopKind } from "./lifecycle.js";
import { meteredGpuMilli } from "./workload.js";

/**
 * Writes the end of one attempt to the store in ONE transaction: its metered GPU time, the state the
 * lifecycle chose, and the requeue or retry that follows. A crash leaves either all of it or none
 * (recovery then finds the attempt still placed and decides again from the same facts). The write
 * is a compare-and-set on the attempt, so a stale observer of an older attempt changes nothing.
 * Returns the job after the write, or undefined when the attempt was no longer current.
 */
export function recordEnd(
  store: Store,
  job: JobRecord,
  next: AfterExit,
  facts: {
    readonly exitCode?: number;
    readonly billedMs: number;
    /** The attempt's container, when it has one (a Starting job then is recorded Running first). */
    readonly containerId?: string;
    /** When that container started (the engine's StartedAt), for a Starting job found already exited. */
    readonly startedAt?: number;
    /** When it ended (the engine's FinishedAt): the job's finishedAt, as its billing uses it. */
    readonly finishedAt?: number;
  },
): JobRecord | undefined {
  const attempt = job.attempts;
  const code = facts.exitCode === undefined ? {} : { exitCode: facts.exitCode };
  return inTransaction(store.db, () => {
    const now = store.jobs.stateOf(job.id);
    if (!now || now.attempts !== attempt || !PLACED_STATES.has(now.state)) return undefined;
    if (now.state === "Starting" && facts.containerId)
      store.jobs.transition(job.id, "Running", {
        containerId: facts.containerId,
        reason: "container found running",
        ...(facts.startedAt !== undefined ? { startedAt: facts.startedAt } : {}),
      });
    const milli = meteredGpuMilli(job.allocation);
    if (milli > 0 && facts.billedMs > 0) store.usage.add(job.id, milli, facts.billedMs);
    const ended = store.jobs.transition(job.id, next.to, {
      reason: next.reason,
      attempt,
      ...code,
      ...(facts.finishedAt !== undefined ? { finishedAt: facts.finishedAt } : {}),
    });
    if (next.to === "Preempted")
      return store.jobs.transition(job.id, "Pending", { from: "Preempted", reason: next.requeue });
    if (next.to === "Failed" && next.retry)
      return store.jobs.transition(job.id, "Pending", {
        from: "Failed",
        notBefore: next.retry.notBefore,
        reason: next.retry.reason,
      });
    return ended;
  });
}

const STOP_KINDS: readonly StopKind[] = ["cancel", "preempt", "timeout", "gang"];

/** The stop gpupool began for the job's current attempt and has not recorded the end of (a "stopping" note). */
export function stopIntent(store: Store, jobId: string): StopIntent | undefined {
  const note = store.jobs.pendingStop(jobId);
  if (!note) return undefined;
  // "KIND: reason", or "KIND/GRACE: reason" for a stop with its own grace period (stop -t)
  const m = /^([a-z]+)(?:\/(\d+))?: /.exec(note);
  if (!m) return undefined;
  const kind = STOP_KINDS.find((k) => k === m[1]);
  if (!kind) return undefined;
  const reason = note.slice(m[0].length);
  return m[2] === undefined ? { kind, reason } : { kind, reason, graceSeconds: Number(m[2]) };
}

/** Records a stop intent before the container is signalled, so a restart mid-stop still knows why it exits. */
export function recordStopIntent(store: Store, jobId: string, intent: StopIntent): void {
  const grace = intent.graceSeconds === undefined ? "" : `/${intent.graceSeconds}`;
  store.jobs.note(jobId, "stopping", `${intent.kind}${grace}: ${intent.reason}`);
}

/** Ends a gang's waiting members that can never run again (gang-repair.ts), in one transaction. */
export function repairGang(store: Store, gang: string): void {
  const plan = gangRepair(gang, store.jobs.list({ gang }));
  if (plan.end.length === 0) return;
  inTransaction(store.db, () => {
    for (const e of plan.end)
      store.jobs.transition(e.id, e.to, { from: ["Pending", "Preempted"], reason: e.reason });
  });
}

/** A gang member's failure: its retry waits until the siblings stopped for it are gone (lifecycle.ts). */
export function forGang(store: Store, job: JobRecord, next: AfterExit, endedAt: number): AfterExit {
  if (!job.gang || next.to !== "Failed" || !next.retry) return next;
  const placed = store.jobs.list({ gang: job.gang, states: ["Scheduled", "Starting", "Running"] });
  if (!placed.some((m) => m.id !== job.id)) return next;
  return holdRetryForGang(next, endedAt, job.spec.stopGraceSeconds);
}
