import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { reasonKind } from "../../core/pending-reason.js";
import { GpupoolError } from "../../core/errors.js";
import { isFinished, LIVE_STATES } from "../../core/job-states.js";
import {
  eventsResponse,
  type JobEventView,
  type JobView,
  jobResponse,
  jobsResponse,
  logLineSchema,
} from "../../api/schemas.js";
import { type ClientFlags, resolveClientConfig } from "./config.js";
import { ApiClient } from "./http.js";
import { describeJob, resolveJobs } from "./job-refs.js";
import { age, emit, outputFormat, table } from "./output.js";
import { allJobs } from "./pages.js";

/** What the job commands of the CLI do, over the API. Each returns the process exit code. */

export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

export const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export interface CommonFlags extends ClientFlags {
  readonly output?: string;
}

export function client(flags: ClientFlags): ApiClient {
  return new ApiClient(resolveClientConfig(flags));
}

export interface RunFlags extends CommonFlags {
  readonly name?: string;
  readonly cpu?: string;
  readonly memory?: string;
  readonly gpu?: string;
  readonly gpus?: string;
  readonly gpuMemory?: string;
  readonly mig?: string;
  readonly gpuModel?: string[];
  readonly env?: string[];
  readonly priority?: string;
  readonly isolation?: string;
  readonly replicas?: string;
  readonly restart?: string;
  readonly timeout?: string;
  readonly requestId?: string;
  readonly wait?: boolean;
  readonly detach?: boolean;
}

const FINAL = new Set(["Succeeded", "Failed", "Cancelled"]);

function int(flag: string, v: string): number {
  if (!/^\d+$/.test(v))
    throw new GpupoolError("GP_INVALID_ARGUMENT", `${flag} must be a whole number, got "${v}"`);
  return Number(v);
}

/** `run` flags → a job spec (the server validates it). */
export function specFromFlags(
  image: string,
  command: readonly string[],
  f: RunFlags,
): Record<string, unknown> {
  const env: Record<string, string> = {};
  for (const kv of f.env ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new GpupoolError("GP_INVALID_ARGUMENT", `--env must be KEY=VALUE, got "${kv}"`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const base = image
    .split("/")
    .pop()!
    .split(":")[0]!
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-");
  const spec: Record<string, unknown> = {
    name: f.name ?? `${base || "job"}-${randomBytes(3).toString("hex")}`,
    image,
  };
  if (command.length > 0) spec.command = [...command];
  if (Object.keys(env).length > 0) spec.env = env;
  if (f.cpu !== undefined) spec.cpu = f.cpu;
  if (f.memory !== undefined) spec.memory = f.memory;
  if (f.gpu !== undefined) spec.gpu = f.gpu;
  if (f.gpus !== undefined) spec.gpus = int("--gpus", f.gpus);
  if (f.gpuMemory !== undefined) spec.gpuMemory = f.gpuMemory;
  if (f.mig !== undefined) spec.mig = f.mig;
  if (f.gpuModel && f.gpuModel.length > 0) spec.gpuModels = f.gpuModel;
  if (f.priority !== undefined) spec.priority = /^-?\d+$/.test(f.priority) ? Number(f.priority) : f.priority;
  if (f.isolation !== undefined) spec.isolation = f.isolation;
  if (f.replicas !== undefined) spec.replicas = int("--replicas", f.replicas);
  if (f.restart !== undefined)
    spec.restartPolicy =
      f.restart === "on-failure" ? "OnFailure" : f.restart === "never" ? "Never" : f.restart;
  if (f.timeout !== undefined) spec.timeoutSeconds = int("--timeout", f.timeout);
  return spec;
}

async function submit(api: ApiClient, spec: unknown, requestId?: string): Promise<JobView[]> {
  const r = await api.json(
    jobsResponse,
    "POST",
    "/v1/jobs",
    spec,
    requestId ? { "idempotency-key": requestId } : {},
  );
  return r.jobs;
}

export async function runCommand(
  image: string,
  command: readonly string[],
  f: RunFlags,
  io: Io = stdio,
): Promise<number> {
  if (f.wait && f.detach)
    throw new GpupoolError("GP_INVALID_ARGUMENT", "--wait and -d/--detach cannot be used together");
  const api = client(f);
  const jobs = await submit(api, specFromFlags(image, command, f), f.requestId);
  if (!f.wait) {
    emit(outputFormat(f.output), { jobs }, () => jobs.map((j) => `${j.id}\n`).join(""), io.out);
    return 0;
  }
  return waitForJobs(api, jobs, io);
}

/** Calls `handler` on each Ctrl-C (SIGINT) until the returned function is called. */
export type Interrupts = (handler: () => void) => () => void;

export const processInterrupts: Interrupts = (handler) => {
  process.on("SIGINT", handler);
  return () => process.off("SIGINT", handler);
};

/**
 * Streams the logs of the job (a gang: of rank 0) while it runs — across requeues — and returns its
 * exit code once every job is final, like `docker run`. Ctrl-C stops the jobs gracefully and keeps
 * waiting for them to end (exit 130 when they end Cancelled); a second Ctrl-C detaches at once,
 * leaving them to finish stopping, and says how to follow them.
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
      io.err(`gpupool: detached; it goes on stopping. Follow it with: gpupool logs -f ${lead.id}\n`);
      abort.abort();
    }
  });
  const detached = () => abort.signal.aborted;
  const pause = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      abort.signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
    });
  try {
    let seen = "";
    let told = "";
    while (!detached()) {
      const cur = (await api.json(jobResponse, "GET", `/v1/jobs/${lead.id}`)).job;
      // Why it waits, as soon as the scheduler says and again whenever the kind of reason changes
      // (not for every change of the amounts in it), like kubectl's events.
      if (cur.state === "Pending" && cur.reason && reasonKind(cur.reason) !== told) {
        io.err(`gpupool: ${cur.id} pending: ${cur.reason}\n`);
        told = reasonKind(cur.reason);
      } else if (cur.state !== "Pending") told = "";
      if (FINAL.has(cur.state) && seen === cur.containerId) break;
      // A Starting job's container may not run yet: attach once it runs (or has ended).
      if (
        cur.containerId &&
        cur.containerId !== seen &&
        cur.state !== "Starting" &&
        cur.state !== "Scheduled"
      ) {
        for await (const line of api.lines(
          logLineSchema,
          `/v1/jobs/${lead.id}/logs?follow=true`,
          abort.signal,
        ))
          (line.stream === "stderr" ? io.err : io.out)(`${line.text}\n`);
        seen = cur.containerId;
        continue;
      }
      if (FINAL.has(cur.state)) break;
      await pause(200);
    }
    let code = 0;
    for (const j of jobs) {
      if (detached()) return 130;
      let cur = (await api.json(jobResponse, "GET", `/v1/jobs/${j.id}`)).job;
      while (!FINAL.has(cur.state)) {
        await pause(300);
        if (detached()) return 130;
        cur = (await api.json(jobResponse, "GET", `/v1/jobs/${j.id}`)).job;
      }
      const c =
        cur.state === "Succeeded"
          ? 0
          : cur.exitCode !== null && cur.exitCode !== 0 && !(interrupted && cur.state === "Cancelled")
            ? cur.exitCode
            : cur.state === "Cancelled"
              ? 130
              : 1;
      if (cur.state !== "Succeeded")
        io.err(`gpupool: job ${cur.id} ${cur.state}${cur.reason ? `: ${cur.reason}` : ""}\n`);
      code = Math.max(code, c);
    }
    return detached() ? 130 : code;
  } finally {
    off();
  }
}

/** `apply -f FILE` (YAML or JSON, several documents allowed; "-" = stdin). */
export async function applyCommand(
  file: string,
  f: CommonFlags & { wait?: boolean; requestId?: string; name?: string },
  io: Io = stdio,
): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `-f ${file}: ${(err as Error).message}`);
  }
  const docs = parseAllDocuments(text);
  const specs: unknown[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new GpupoolError("GP_INVALID_SPEC", `${file}: ${d.errors[0]!.message}`);
    const v = d.toJS();
    if (v !== null && v !== undefined) specs.push(v);
  }
  if (specs.length === 0) throw new GpupoolError("GP_INVALID_SPEC", `${file}: no job spec in it`);
  if (f.name !== undefined) {
    const only = specs[0];
    if (specs.length > 1 || typeof only !== "object" || only === null || Array.isArray(only))
      throw new GpupoolError("GP_INVALID_ARGUMENT", `--name names one job: ${file} must hold one job spec`);
    specs[0] = { ...only, name: f.name };
  }
  const api = client(f);
  const all: JobView[] = [];
  for (const [i, spec] of specs.entries())
    all.push(
      ...(await submit(api, spec, f.requestId && specs.length > 1 ? `${f.requestId}-${i}` : f.requestId)),
    );
  if (f.wait) return waitForJobs(api, all, io);
  emit(
    outputFormat(f.output),
    { jobs: all },
    () => all.map((j) => `${j.id} ${j.name} ${j.state}\n`).join(""),
    io.out,
  );
  return 0;
}

function gpuCell(j: JobView): string {
  const s = j.spec;
  switch (s.gpu.kind) {
    case "none":
      return "-";
    case "whole":
      return `${s.gpu.count}`;
    case "share":
      return `${s.gpu.milli / 1000}${s.gpu.memoryMiB ? `/${s.gpu.memoryMiB}Mi` : ""}`;
    case "mig":
      return s.gpu.profile;
  }
}

/**
 * `ps`: your live jobs (not Succeeded, Failed or Cancelled); `-a` all of them, `--state` those
 * states; `-A` (admin) every tenant's.
 */
export async function psCommand(
  f: CommonFlags & { all?: boolean; allTenants?: boolean; state?: string },
  io: Io = stdio,
): Promise<number> {
  const q = new URLSearchParams();
  if (f.allTenants) q.set("all", "true");
  const states = f.state ?? (f.all ? undefined : LIVE_STATES.join(","));
  if (states) q.set("state", states);
  const jobs = await allJobs(client(f), q);
  emit(
    outputFormat(f.output),
    { jobs },
    () =>
      table(
        ["ID", "NAME", "TENANT", "STATE", "GPU", "PRIO", "AGE", "REASON"],
        jobs.map((j) => [
          j.id,
          j.name,
          j.tenant,
          j.state,
          gpuCell(j),
          String(j.priority),
          age(j.createdAt),
          j.reason ?? "",
        ]),
      ),
    io.out,
  );
  return 0;
}

/** `get REF`: the job as YAML (a gang's name: its members, as `jobs`). */
export async function getCommand(ref: string, f: CommonFlags, io: Io = stdio): Promise<number> {
  const jobs = await resolveJobs(client(f), ref);
  const doc = jobs.length === 1 ? { job: jobs[0] } : { jobs };
  emit(outputFormat(f.output === undefined ? "yaml" : f.output), doc, () => "", io.out);
  return 0;
}

/** `logs REF`: the job's log lines (a gang's name: its rank 0's, as `run --wait` streams). */
export async function logsCommand(
  ref: string,
  f: CommonFlags & { follow?: boolean },
  io: Io = stdio,
): Promise<number> {
  const api = client(f);
  const lead = (await resolveJobs(api, ref))[0]!;
  for await (const line of api.lines(
    logLineSchema,
    `/v1/jobs/${encodeURIComponent(lead.id)}/logs${f.follow ? "?follow=true" : ""}`,
  ))
    (line.stream === "stderr" ? io.err : io.out)(`${line.text}\n`);
  return 0;
}

/**
 * `stop [-t SECONDS] REF…`: stops the jobs (a gang's name: its members still live) together, each
 * gracefully (SIGTERM, then SIGKILL after its grace period: -t, else the job's stopGraceSeconds),
 * saying what it does and, every few seconds, what it still waits for, like docker stop; prints
 * each job's end.
 */
export async function stopCommand(
  refs: readonly string[],
  f: CommonFlags & { time?: string },
  io: Io = stdio,
  progressMs = 3000,
): Promise<number> {
  const graceSeconds = f.time === undefined ? undefined : int("-t/--time", f.time);
  const api = client(f);
  const ids: string[] = [];
  for (const ref of refs) {
    const jobs = await resolveJobs(api, ref);
    for (const j of jobs.length > 1 ? jobs.filter((j) => !isFinished(j.state)) : jobs) ids.push(j.id);
  }
  const started = Date.now();
  const waiting = new Set(ids);
  io.err(
    `gpupool: stopping ${ids.join(", ")}: SIGTERM, then SIGKILL after ${graceSeconds === undefined ? "each job's grace period" : `${graceSeconds} s`}\n`,
  );
  const tick = setInterval(() => {
    io.err(
      `gpupool: still stopping ${[...waiting].join(", ")} (${Math.round((Date.now() - started) / 1000)} s)\n`,
    );
  }, progressMs);
  let code = 0;
  try {
    await Promise.all(
      ids.map(async (id) => {
        try {
          const { job } = await api.json(
            jobResponse,
            "POST",
            `/v1/jobs/${encodeURIComponent(id)}/stop`,
            graceSeconds === undefined ? {} : { graceSeconds },
          );
          io.out(`${job.id} ${job.state}${job.exitCode !== null ? ` (exit ${job.exitCode})` : ""}\n`);
        } catch (err) {
          if (!(err instanceof GpupoolError)) throw err;
          io.err(`gpupool: error[${err.code}]: ${id}: ${err.message}\n`);
          code = Math.max(code, err.exitCode);
        } finally {
          waiting.delete(id);
        }
      }),
    );
  } finally {
    clearInterval(tick);
  }
  return code;
}

/**
 * `rm [-f] REF…`: deletes each finished job (a gang's name: all its members) with its logs; a live
 * one is refused (GP_JOB_NOT_FINISHED) before anything of that reference is deleted, unless
 * `--force`, which stops it first, like `docker rm -f`.
 */
export async function rmCommand(
  refs: readonly string[],
  f: CommonFlags & { force?: boolean },
  io: Io = stdio,
): Promise<number> {
  const api = client(f);
  for (const ref of refs) {
    const jobs = await resolveJobs(api, ref);
    const live = jobs.filter((j) => !isFinished(j.state));
    if (live.length > 0 && !f.force)
      throw new GpupoolError(
        "GP_JOB_NOT_FINISHED",
        `${ref}: ${live.map(describeJob).join(", ")} ${live.length > 1 ? "have" : "has"} not finished; stop it first, or rm -f to stop and delete it`,
      );
    for (const j of jobs) {
      const path = `/v1/jobs/${encodeURIComponent(j.id)}${f.force ? "?force=true" : ""}`;
      await api.json(jobResponse, "DELETE", path);
      io.out(`${j.id} removed\n`);
    }
  }
  return 0;
}

/** `events [REF]`: all your jobs' events, or one job's (a gang's name: its members', in order). */
export async function eventsCommand(
  ref: string | undefined,
  f: CommonFlags,
  io: Io = stdio,
): Promise<number> {
  const api = client(f);
  let events: JobEventView[];
  if (ref === undefined) events = (await api.json(eventsResponse, "GET", "/v1/events")).events;
  else {
    events = [];
    for (const j of await resolveJobs(api, ref))
      events.push(
        ...(await api.json(eventsResponse, "GET", `/v1/jobs/${encodeURIComponent(j.id)}/events`)).events,
      );
    events.sort((a, b) => a.seq - b.seq);
  }
  emit(
    outputFormat(f.output),
    { events },
    () =>
      table(
        ["TIME", "JOB", "TYPE", "FROM", "TO", "REASON"],
        events.map((e) => [e.at, e.jobId, e.type, e.from ?? "-", e.to ?? "-", e.reason ?? ""]),
      ),
    io.out,
  );
  return 0;
}
