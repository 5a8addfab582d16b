import type { JobView } from "../../api/schemas.js";

/**
 * The exit status of `run --wait` / `apply --wait` for a job that has ended, like `docker run`:
 * - Succeeded: 0;
 * - the container's own non-zero exit code (a job stopped by its own timeout too);
 * - a container that never ran (the job's reason starts "could not start:"): 125, the engine could
 *   not create or start it (image not found, engine refused); 126, its command cannot be invoked
 *   (permission denied); 127, its command was not found in the image;
 * - Cancelled: 130 (as after Ctrl-C), unless the container exited non-zero by itself first;
 * - any other failure without an exit code: 1.
 * docs/errors.md ("Exit codes") lists these with the error codes' statuses.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  startFailed: 125,
  notExecutable: 126,
  commandNotFound: 127,
  interrupted: 130,
} as const;

/** What the agent's reason for an attempt that never ran starts with (src/agent/job-runner.ts). */
const START_FAILURE = "could not start:";

/** 125, 126 or 127 for a reason that says the container never ran; undefined otherwise. */
export function startFailureExit(reason: string | null): number | undefined {
  if (!reason?.startsWith(START_FAILURE)) return undefined;
  if (/executable file .*not found|command not found|no such file or directory: OCI runtime/i.test(reason))
    return EXIT.commandNotFound;
  if (/permission denied|not executable/i.test(reason)) return EXIT.notExecutable;
  return EXIT.startFailed;
}

/** The exit status for a finished job; `interrupted`: the user pressed Ctrl-C (a stop was sent). */
export function jobExitCode(
  job: Pick<JobView, "state" | "exitCode" | "reason">,
  interrupted: boolean,
): number {
  if (job.state === "Succeeded") return EXIT.ok;
  if (job.exitCode !== null && job.exitCode !== 0 && !(interrupted && job.state === "Cancelled"))
    return job.exitCode;
  if (job.state === "Cancelled") return EXIT.interrupted;
  return (job.exitCode === null ? startFailureExit(job.reason) : undefined) ?? EXIT.failed;
}
