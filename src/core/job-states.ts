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
