import { type JobView, jobResponse, logLineSchema } from "../../api/schemas.js";
import { isFinished } from "../../core/job-states.js";
import { reasonKind } from "../../core/pending-reason.js";
import { jobExitCode } from "./exit-codes.js";
import type { ApiClient } from "./http.js";

/** Following jobs from the CLI: their logs (a gang's members' prefixed with their rank) and their end. */

export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** Calls `handler` on each Ctrl-C (SIGINT) until the returned function is called. */
export type Interrupts = (handler: () => void) => () => void;

export const processInterrupts: Interrupts = (handler) => {
  process.on("SIGINT", handler);
  return () => process.off("SIGINT", handler);
};

/** `[rank N] ` before each line of a gang member when several are shown together, else nothing. */
export function rankPrefix(job: Pick<JobView, "rank">, several: boolean): string {
  return several && job.rank !== null ? `[rank ${job.rank}] ` : "";
}

/**
 * Prints the log lines of `jobs` (each line of a gang member prefixed with its rank when there are
 * several): one after another, or with `follow` all together as they come, until each exits.
 */
export async function streamLogs(
  api: ApiClient,
  jobs: readonly JobView[],
  io: Io,
  opts: { readonly follow?: boolean; readonly query?: URLSearchParams; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const q = new URLSearchParams(opts.query);
  if (opts.follow) q.set("follow", "true");
  const one = async (j: JobView) => {
    const prefix = rankPrefix(j, jobs.length > 1);
    const path = `/v1/jobs/${encodeURIComponent(j.id)}/logs${q.size ? `?${q}` : ""}`;
    for await (const line of api.lines(logLineSchema, path, opts.signal))
      (line.stream === "stderr" ? io.err : io.out)(`${prefix}${line.text}\n`);
  };
  if (opts.follow) await Promise.all(jobs.map(one));
  else for (const j of jobs) await one(j);
}

/**
 * Follows one job until it is final: its logs as it runs, again after each requeue, and (when
 * `reasons`) why it waits whenever the kind of reason changes, like kubectl's events.
 */
async function followJob(
  api: ApiClient,
  job: JobView,
  io: Io,
  opts: { readonly prefix: string; readonly reasons: boolean; readonly signal: AbortSignal },
): Promise<void> {
  const pause = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      opts.signal.addEventListener(
        "abort",
        () => {
          clearTimeout(t);
          r();
        },
        { once: true },
      );
    });
  let seen = "";
  let told = "";
  while (!opts.signal.aborted) {
    const cur = (await api.json(jobResponse, "GET", `/v1/jobs/${job.id}`)).job;
    if (opts.reasons && cur.state === "Pending" && cur.reason && reasonKind(cur.reason) !== told) {
      io.err(`gpupool: ${cur.id} pending: ${cur.reason}\n`);
      told = reasonKind(cur.reason);
    } else if (cur.state !== "Pending") told = "";
    if (isFinished(cur.state) && seen === (cur.containerId ?? "")) return;
    // A Starting job's container may not run yet: attach once it runs (or has ended).
    if (
      cur.containerId &&
      cur.containerId !== seen &&
      cur.state !== "Starting" &&
      cur.state !== "Scheduled"
    ) {
      for await (const line of api.lines(logLineSchema, `/v1/jobs/${job.id}/logs?follow=true`, opts.signal))
        (line.stream === "stderr" ? io.err : io.out)(`${opts.prefix}${line.text}\n`);
      seen = cur.containerId;
      continue;
    }
    if (isFinished(cur.state)) return;
    await pause(200);
  }
}

/**
 * Streams the logs of the jobs (a gang: every member's, prefixed with its rank) while they run —
 * across requeues — and returns the exit code once every job is final, like `docker run`. Ctrl-C
 * stops the jobs gracefully and keeps waiting for them to end (exit 130 when they end Cancelled); a
 * second Ctrl-C detaches at once, leaving them to finish stopping, and says how to follow them.
 */
export async function waitForJobs(
  api: ApiClient,
  jobs: readonly JobView[],
  io: Io,
  interrupts: Interrupts = processInterrupts,
): Promise<number> {
  const lead = jobs[0]!;
  const abort = new AbortController();
  let interrupted = 0;
  const off = interrupts(() => {
    interrupted++;
    if (interrupted === 1) {
      io.err(
        `gpupool: stopping ${jobs.map((j) => j.id).join(", ")} (SIGTERM, then SIGKILL after its grace period); Ctrl-C again to detach\n`,
      );
      // The server answers a stop once the job has ended; detaching abandons the wait, not the stop.
      const stops = jobs.map((j) =>
        api.json(jobResponse, "POST", `/v1/jobs/${j.id}/stop`, {}, {}, abort.signal),
      );
      void Promise.all(stops).catch((err: unknown) => {
        if (!abort.signal.aborted) io.err(`gpupool: could not stop: ${(err as Error).message}\n`);
      });
    } else if (interrupted === 2) {
      const follow = jobs.length > 1 && lead.gang ? lead.gang : lead.id;
      io.err(`gpupool: detached; it goes on stopping. Follow it with: gpupool logs -f ${follow}\n`);
      abort.abort();
    }
  });
  try {
    await Promise.all(
      jobs.map((j, i) =>
        followJob(api, j, io, {
          prefix: rankPrefix(j, jobs.length > 1),
          reasons: i === 0,
          signal: abort.signal,
        }),
      ),
    );
    if (abort.signal.aborted) return 130;
    const ended = [];
    for (const j of jobs) ended.push((await api.json(jobResponse, "GET", `/v1/jobs/${j.id}`)).job);
    for (const cur of ended)
      if (cur.state !== "Succeeded")
        io.err(`gpupool: job ${cur.id} ${cur.state}${cur.reason ? `: ${cur.reason}` : ""}\n`);
    // A gang ends with the code of the member that failed first (the others were stopped for it).
    const failed = ended
      .filter((j) => j.state !== "Succeeded")
      .sort((a, b) => (a.finishedAt ?? "").localeCompare(b.finishedAt ?? ""));
    const first = failed[0];
    const code = first === undefined ? 0 : jobExitCode(first, interrupted > 0);
    return code;
  } finally {
    off();
  }
}
