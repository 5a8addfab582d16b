import type { NormalizedSpec } from "../core/job-spec.js";

/**
 * The job lifecycle as pure decisions: given the recorded facts of one attempt (its stop intent, the
 * container's exit code and the engine's own times), what state comes next, why, and when a retry
 * may run. The job runner and recovery carry the decisions out; nothing here does I/O or reads a
 * clock, so the tables in lifecycle.test.ts pin every rule, including the exactly-once ones:
 * - a job preempted (or asked to stop) that exits 0 in its grace period has finished its work: it
 *   ends Succeeded once, never requeued (a job that wants to resume after preemption exits non-zero);
 * - a recorded cancel wins over every later observation (restart mid-stop: Cancelled, not requeued);
 * - only the attempt that is current may be finished (a stale watcher's exit changes nothing).
 */

/**
 * Why gpupool stops an attempt: a user's cancel, a preemption, the job's timeout, or `gang` — a
 * sibling in the job's gang failed, so the whole gang fails (or restarts together under
 * restartPolicy OnFailure), as torchrun does.
 */
export type StopKind = "cancel" | "preempt" | "timeout" | "gang";

/** A stop gpupool began for the current attempt (recorded before signalling the container). */
export interface StopIntent {
  readonly kind: StopKind;
  readonly reason: string;
  /** This stop's grace period (stop -t), when it is not the job's stopGraceSeconds. */
  readonly graceSeconds?: number;
}

export type RetrySpec = Pick<NormalizedSpec, "restartPolicy" | "backoffLimit" | "backoffSeconds">;

export interface ExitFacts {
  /** The container's exit code. */
  readonly code: number;
  readonly oomKilled?: boolean;
  readonly stop?: StopIntent;
  /** Attempts so far, this one included. */
  readonly attempts: number;
  readonly spec: RetrySpec;
  /** When the attempt ended (the engine's FinishedAt, else when gpupool saw it), ms since the epoch. */
  readonly endedAt: number;
}

/** What an attempt's end turns the job into. */
export type AfterExit =
  | { readonly to: "Succeeded"; readonly reason: string }
  | { readonly to: "Failed"; readonly reason: string; readonly retry?: Retry }
  | { readonly to: "Cancelled"; readonly reason: string }
  /** Preempted, then back to Pending at once with `requeue` as the reason. */
  | { readonly to: "Preempted"; readonly reason: string; readonly requeue: string };

export interface Retry {
  /** Earliest time the next attempt may be scheduled, ms since the epoch. */
  readonly notBefore: number;
  readonly reason: string;
}

/** Seconds before retry `attempts` (1-based): backoffSeconds doubling per retry, capped at 300. */
export function retryDelaySeconds(spec: RetrySpec, attempts: number): number {
  return Math.min(300, spec.backoffSeconds * 2 ** Math.max(0, attempts - 1));
}

/** The retry of a failed attempt under restartPolicy OnFailure, or undefined when none is due. */
export function retryAfterFailure(spec: RetrySpec, attempts: number, failedAt: number): Retry | undefined {
  if (spec.restartPolicy !== "OnFailure" || attempts > spec.backoffLimit) return undefined;
  const delay = retryDelaySeconds(spec, attempts);
  return {
    notBefore: failedAt + Math.round(delay * 1000),
    reason: `retry ${attempts}/${spec.backoffLimit} in ${delay}s (restart policy OnFailure)`,
  };
}

export function afterExit(f: ExitFacts): AfterExit {
  const code = f.code;
  switch (f.stop?.kind) {
    case "cancel":
      return { to: "Cancelled", reason: f.stop.reason };
    case "timeout":
      return { to: "Failed", reason: f.stop.reason };
    case "gang": {
      // Whatever its exit code: the gang's run has failed, and its members restart (or not) together.
      const retry = retryAfterFailure(f.spec, f.attempts, f.endedAt);
      return retry ? { to: "Failed", reason: f.stop.reason, retry } : { to: "Failed", reason: f.stop.reason };
    }
    case "preempt":
      if (code === 0) return { to: "Succeeded", reason: `exited 0 while being stopped (${f.stop.reason})` };
      return {
        to: "Preempted",
        reason: `${f.stop.reason} (exit ${code})`,
        requeue: `requeued (${f.stop.reason})`,
      };
    case undefined:
      break;
  }
  if (code === 0) return { to: "Succeeded", reason: "exited 0" };
  const reason = f.oomKilled ? `OOM-killed (exit ${code})` : `exit code ${code}`;
  const retry = retryAfterFailure(f.spec, f.attempts, f.endedAt);
  return retry ? { to: "Failed", reason, retry } : { to: "Failed", reason };
}

/**
 * A failed gang member's retry, held until the siblings stopped for it are surely gone (their
 * grace period, then SIGKILL, plus a second): the gang is then placed again whole, all members
 * restarting together, instead of the member rejoining siblings that are about to end.
 */
export function holdRetryForGang(next: AfterExit, endedAt: number, graceSeconds: number): AfterExit {
  if (next.to !== "Failed" || !next.retry) return next;
  const notBefore = Math.max(next.retry.notBefore, endedAt + (graceSeconds + 1) * 1000);
  if (notBefore === next.retry.notBefore) return next;
  return { ...next, retry: { notBefore, reason: `${next.retry.reason}, once its gang has stopped` } };
}

/** What recovery finds of a placed job's current attempt after a restart. */
export interface RecoveryFacts {
  readonly state: "Scheduled" | "Starting" | "Running";
  /** The container of the current attempt, if one exists. */
  readonly container?: {
    readonly status: "created" | "running" | "exited";
    readonly exitCode?: number;
  };
  readonly stop?: StopIntent;
}

export type RecoveryAction =
  /** The attempt never ran: back to Pending (a Scheduled job directly; a begun attempt via Failed). */
  | { readonly do: "requeue"; readonly reason: string }
  /** The attempt never ran and the user cancelled it: Cancelled. */
  | { readonly do: "cancel"; readonly reason: string }
  /** The container exited while gpupool was down: finish it with its exit code (afterExit). */
  | { readonly do: "finish"; readonly code: number }
  /** The container runs: adopt and watch it, and carry on with a stop that was under way. */
  | { readonly do: "adopt"; readonly resumeStop?: StopIntent };

export function recoveryAction(f: RecoveryFacts): RecoveryAction {
  const c = f.container;
  if (f.state === "Scheduled" || !c || c.status === "created") {
    if (f.stop?.kind === "cancel") return { do: "cancel", reason: f.stop.reason };
    return {
      do: "requeue",
      reason: c
        ? "its container never started"
        : "no container of this attempt exists (not created yet, or removed)",
    };
  }
  if (c.status === "exited") return { do: "finish", code: c.exitCode ?? 255 };
  return f.stop ? { do: "adopt", resumeStop: f.stop } : { do: "adopt" };
}

/** Milliseconds to bill for an attempt: from when it started to when it ended, never negative. */
export function billedMs(startedAt: number | null, endedAt: number): number {
  if (startedAt === null) return 0;
  return Math.max(0, Math.round(endedAt - startedAt));
}

/** When a running attempt's timeout fires, from its real start (kept across restarts), ms since the epoch. */
export function timeoutAt(startedAt: number, timeoutSeconds: number): number {
  return startedAt + timeoutSeconds * 1000;
}
