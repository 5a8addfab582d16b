import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { GpupoolError } from "../../core/errors.js";
import { isFinished } from "../../core/job-states.js";
import {
  arrayResponse,
  serviceResponse,
  type ServiceView,
  type JobsResponse,
  type JobView,
  jobResponse,
  jobsResponse,
} from "../../api/schemas.js";
import { parseArrayFlag, printArray, progressText, waitForArray } from "./arrays.js";
import { printService } from "./services.js";
import { type CommonFlags, client, stdio } from "./common.js";
import type { ApiClient } from "./http.js";
import { describeJob, resolveRef } from "./job-refs.js";
import { emit, outputFormat } from "./output.js";
import { type Io, waitForJobs } from "./wait.js";

/** What the job commands of the CLI do, over the API. Each returns the process exit code. */

export { type CommonFlags, client, type Io, stdio } from "./common.js";

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
  readonly array?: string;
  readonly pack?: string;
  readonly restart?: string;
  readonly timeout?: string;
  readonly requestId?: string;
  readonly wait?: boolean;
  readonly detach?: boolean;
}

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
  if (f.pack !== undefined && f.array === undefined)
    throw new GpupoolError("GP_INVALID_ARGUMENT", "--pack packs an array's indexes: give --array too");
  if (f.array !== undefined)
    spec.array = {
      ...parseArrayFlag(f.array),
      ...(f.pack !== undefined ? { pack: int("--pack", f.pack) } : {}),
    };
  if (f.restart !== undefined)
    spec.restartPolicy =
      f.restart === "on-failure" ? "OnFailure" : f.restart === "never" ? "Never" : f.restart;
  if (f.timeout !== undefined) spec.timeoutSeconds = int("--timeout", f.timeout);
  return spec;
}

async function submitted(api: ApiClient, spec: unknown, requestId?: string): Promise<JobsResponse> {
  return api.json(jobsResponse, "POST", "/v1/jobs", spec, requestId ? { "idempotency-key": requestId } : {});
}

async function submit(api: ApiClient, spec: unknown, requestId?: string): Promise<JobView[]> {
  return (await submitted(api, spec, requestId)).jobs;
}

export async function runCommand(
  image: string,
  command: readonly string[],
  f: RunFlags,
  io: Io = stdio,
): Promise<number> {
  if (f.wait && f.detach)
    throw new GpupoolError("GP_INVALID_ARGUMENT", "--wait and -d/--detach cannot be used together");
  const format = outputFormat(f);
  const api = client(f);
  const r = await submitted(api, specFromFlags(image, command, f), f.requestId);
  if (r.service) {
    if (format === "table") io.out(`${r.service.id}\n`);
    else printService(r.service, f, io);
    return 0;
  }
  if (r.array) {
    if (f.wait) return waitForArray(api, r.array, io);
    if (format === "table") io.out(`${r.array.id}\n`);
    else printArray(r.array, f, io);
    return 0;
  }
  const jobs = r.jobs;
  if (!f.wait) {
    emit(format, { jobs }, () => jobs.map((j) => `${j.id}\n`).join(""), io.out);
    return 0;
  }
  return waitForJobs(api, jobs, io);
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
  const format = outputFormat(f);
  const api = client(f);
  const all: JobView[] = [];
  for (const [i, spec] of specs.entries()) {
    // A service spec whose name runs already is a rolling update of it, as kubectl apply does.
    const running = await runningService(api, spec);
    if (running) {
      const { service } = await api.json(
        serviceResponse,
        "PUT",
        `/v1/services/${encodeURIComponent(running.id)}`,
        spec,
      );
      io.err(
        `gpupool: service ${service.name} (${service.id}) updated to generation ${service.generation}: replicas are replaced one by one\n`,
      );
      all.push(...(await resolveRef(api, service.id)).jobs);
      continue;
    }
    all.push(
      ...(await submit(api, spec, f.requestId && specs.length > 1 ? `${f.requestId}-${i}` : f.requestId)),
    );
  }
  if (f.wait) return waitForJobs(api, all, io);
  emit(format, { jobs: all }, () => all.map((j) => `${j.id} ${j.name} ${j.state}\n`).join(""), io.out);
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
  const arrays: string[] = [];
  const services: string[] = [];
  for (const ref of refs) {
    const { jobs, array, service } = await resolveRef(api, ref);
    if (array) arrays.push(array.id);
    else if (service) services.push(service.id);
    else for (const j of jobs.length > 1 ? jobs.filter((j) => !isFinished(j.state)) : jobs) ids.push(j.id);
  }
  // An array first: it then makes no more tasks, and its live ones are stopped as jobs are.
  for (const id of arrays) {
    io.err(`gpupool: stopping array ${id}: no more tasks; its live ones are stopped\n`);
    const { array } = await api.json(
      arrayResponse,
      "POST",
      `/v1/arrays/${encodeURIComponent(id)}/stop`,
      graceSeconds === undefined ? {} : { graceSeconds },
    );
    io.out(`${array.id} ${array.state} (${progressText(array)})\n`);
  }
  // A service: its replicas are drained at its endpoint, then stopped.
  for (const id of services) {
    io.err(`gpupool: stopping service ${id}: its replicas are drained, then stopped\n`);
    const { service } = await api.json(
      serviceResponse,
      "POST",
      `/v1/services/${encodeURIComponent(id)}/stop`,
    );
    io.out(`${service.id} ${service.state}\n`);
  }
  if (ids.length === 0) return 0;
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
    const { jobs, array, service } = await resolveRef(api, ref);
    if (service) {
      const path = `/v1/services/${encodeURIComponent(service.id)}${f.force ? "?force=true" : ""}`;
      await api.json(serviceResponse, "DELETE", path);
      io.out(`${service.id} removed (with its replicas)\n`);
      continue;
    }
    if (array) {
      // Its tasks go with it, as a gang's members do.
      const path = `/v1/arrays/${encodeURIComponent(array.id)}${f.force ? "?force=true" : ""}`;
      await api.json(arrayResponse, "DELETE", path);
      io.out(`${array.id} removed (with its ${array.tasks} tasks)\n`);
      continue;
    }
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

/** The running service a spec names, when the spec is a service's and one of that name runs. */
async function runningService(api: ApiClient, spec: unknown): Promise<ServiceView | undefined> {
  const s = spec as { name?: unknown; service?: unknown };
  if (typeof s !== "object" || s === null || s.service === undefined || typeof s.name !== "string")
    return undefined;
  try {
    const { service } = await api.json(serviceResponse, "GET", `/v1/services/${encodeURIComponent(s.name)}`);
    return service.state === "Running" ? service : undefined;
  } catch (err) {
    if (err instanceof GpupoolError && err.code === "GP_SERVICE_NOT_FOUND") return undefined;
    throw err;
  }
}
