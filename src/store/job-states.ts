import { GpupoolError } from "../core/errors.js";
import { JOB_STATES, type JobState } from "../core/job-states.js";

export {
  FINISHED_STATES,
  isFinished,
  JOB_STATES,
  type JobState,
  LIVE_STATES,
} from "../core/job-states.js";

/**
 * A job's life: Pending → Scheduled → Starting → Running → Succeeded | Failed | Preempted |
 * Cancelled. Preempted and Failed jobs may go back to Pending (requeue after preemption, retry
 * under the restart policy); Succeeded and Cancelled are final. The states themselves are listed in
 * core/job-states.ts. Every legal transition; anything else is refused with GP_ILLEGAL_TRANSITION.
 */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  Pending: ["Scheduled", "Cancelled", "Failed"],
  /** → Pending: the placement was rolled back (e.g. the node went away before start). */
  Scheduled: ["Starting", "Pending", "Cancelled", "Failed", "Preempted"],
  Starting: ["Running", "Failed", "Cancelled", "Preempted"],
  Running: ["Succeeded", "Failed", "Preempted", "Cancelled"],
  Preempted: ["Pending", "Cancelled"],
  /** → Pending: a retry under the job's restart policy (the caller decides whether one is due). */
  Failed: ["Pending"],
  Succeeded: [],
  Cancelled: [],
};

/** States in which no container of the job may be running. */
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set([
  "Succeeded",
  "Failed",
  "Preempted",
  "Cancelled",
]);
/** States that never change again. */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(["Succeeded", "Cancelled"]);
/** States in which the job holds a placement (node + allocation). */
export const PLACED_STATES: ReadonlySet<JobState> = new Set(["Scheduled", "Starting", "Running"]);

export function isJobState(s: string): s is JobState {
  return (JOB_STATES as readonly string[]).includes(s);
}

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(jobId: string, from: JobState, to: JobState): void {
  if (!canTransition(from, to)) {
    throw new GpupoolError(
      "GP_ILLEGAL_TRANSITION",
      `job ${jobId} cannot go from ${from} to ${to} (from ${from} it may go to: ${TRANSITIONS[from].join(", ") || "nothing, it is final"})`,
      { jobId, from, to },
    );
  }
}
