/**
 * The states of a job: Pending → Scheduled → Starting → Running → Succeeded | Failed | Preempted |
 * Cancelled. The list lives in core so that the API contract (api/) can enumerate it; which
 * transitions are legal is the store's business (store/job-states.ts).
 */
export const JOB_STATES = [
  "Pending",
  "Scheduled",
  "Starting",
  "Running",
  "Succeeded",
  "Failed",
  "Preempted",
  "Cancelled",
] as const;
export type JobState = (typeof JOB_STATES)[number];

/**
 * The states a job has finished in, as `ps`, names and `rm` see it (docker's "exited"): Succeeded,
 * Failed and Cancelled. A Failed job retried under its restart policy goes back to Pending, so it
 * is live again. Every other state is live: `ps` lists it and it holds its name.
 */
export const FINISHED_STATES: readonly JobState[] = ["Succeeded", "Failed", "Cancelled"];
export const LIVE_STATES: readonly JobState[] = JOB_STATES.filter((s) => !FINISHED_STATES.includes(s));

export function isFinished(state: JobState): boolean {
  return FINISHED_STATES.includes(state);
}
