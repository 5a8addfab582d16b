import { z } from "zod";
import { type ArraySpec, parseArrayIndexes, taskCount } from "../core/array.js";
import { GPU_MODELS, requireGpuModel } from "../core/catalog.js";
import { GpupoolError, isGpupoolError } from "../core/errors.js";
import { imageReferenceProblem } from "../core/image-ref.js";
import { parsePriority } from "../core/queue.js";
import { parseCpuMilli, parseGpuShareMilli, parseMemoryMiB } from "../core/quantity.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import type { ServiceSpec } from "../core/service.js";
import type { GpuRequest } from "../core/workload.js";

export type { NormalizedSpec } from "../core/job-spec.js";

/**
 * The job spec a user writes (YAML or JSON: `apply -f`, flags on `run`, or POST /v1/jobs), its
 * schema, and the normalised form the server stores. Quantities are parsed once here:
 * CPU milli, memory MiB, GPU share milli.
 */

/** An array's tasks live at once when its spec does not say (and the most it may say). */
const DEFAULT_PARALLELISM = 256;
const MAX_PARALLELISM = 10_000;
/** The most replicas a service may ask for. */
const MAX_REPLICAS = 256;

const NAME = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables that select devices or describe the slice: a job may not set them (the NVIDIA runtime honours NVIDIA_VISIBLE_DEVICES). */
const RESERVED_ENV = /^(NVIDIA_|CUDA_MPS_|GPUPOOL_)|^CUDA_VISIBLE_DEVICES$/;
const quantity = z.union([z.string().max(64), z.number().finite()]);
/** Text an engine passes to execve or the environment, which cannot hold a NUL. */
const noNul = z
  .string()
  .refine((text) => !text.includes("\u0000"), "must not contain a NUL character (\\u0000)");

export const jobSpecSchema = z.strictObject({
  name: z.string().regex(NAME, "must be 1-63 of a-z, 0-9, '-' and '.', starting and ending alphanumeric"),
  image: z
    .string()
    .min(1)
    .max(512)
    .superRefine((ref, ctx) => {
      const problem = imageReferenceProblem(ref);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta({ description: "an image reference: [REGISTRY[:PORT]/]NAME[:TAG][@DIGEST], NAME lowercase" }),
  command: z.array(noNul.max(65_536)).max(1024).optional(),
  env: z
    .record(z.string().regex(ENV_NAME, "environment names are letters, digits and _"), noNul.max(65_536))
    .optional(),
  /** CPU reserved and limited to, e.g. 500m or 2 (default: no reservation, no limit; 0 the same). */
  cpu: quantity.optional(),
  /** Memory reserved and limited to, e.g. 512Mi or 4Gi (default: no reservation, no limit; 0 the same). */
  memory: quantity.optional(),
  /** N whole GPUs. */
  gpus: z.number().int().min(1).max(64).optional(),
  /** A share of one GPU: 0.25 or 250m. */
  gpu: quantity.optional(),
  /** GPU memory of a share, e.g. 10Gi. */
  gpuMemory: quantity.optional(),
  /** A MIG profile, e.g. 1g.10gb. */
  mig: z.string().max(32).optional(),
  /** Allowed GPU models (catalog names), any when absent. */
  gpuModels: z.array(z.string().max(64)).max(64).optional(),
  isolation: z.enum(["container", "sandbox", "vm"]).optional(),
  /** A priority class (system-critical, high, normal, low, best-effort) or an integer. */
  priority: z.union([z.string().max(64), z.number().int()]).optional(),
  /** The queue is the tenant; when given it must name the caller's tenant. */
  queue: z.string().max(63).optional(),
  restartPolicy: z.enum(["Never", "OnFailure"]).optional(),
  /** Retries under OnFailure (default 3). */
  backoffLimit: z.number().int().min(0).max(100).optional(),
  /** First retry delay in seconds, doubling per retry, capped at 300 (default 10). */
  backoffSeconds: z.number().min(0).max(3600).optional(),
  /** Wall-clock limit of one attempt in seconds. */
  timeoutSeconds: z
    .number()
    .positive()
    .max(30 * 86_400)
    .optional(),
  /** Seconds between SIGTERM and SIGKILL when stopped or preempted (default 10). */
  stopGraceSeconds: z.number().int().min(0).max(3600).optional(),
  /** A gang: N members placed all-or-nothing, each with RANK/WORLD_SIZE/MASTER_ADDR… (default 1). */
  replicas: z.number().int().min(1).max(64).optional(),
  masterPort: z.number().int().min(1).max(65_535).optional(),
  /** Whether the job may be preempted by higher priorities (default true). */
  preemptible: z.boolean().optional(),
  /** A batch array: the spec runs once per index, each task with GPUPOOL_ARRAY_INDEX (core/array.ts). */
  array: z
    .strictObject({
      indexes: z
        .string()
        .min(1)
        .max(65_536)
        .meta({ description: 'the indexes: "0-999", "1,3,5-9", "0-30:10" (a step), as Slurm\'s --array' }),
      parallelism: z
        .number()
        .int()
        .min(1)
        .max(MAX_PARALLELISM)
        .optional()
        .meta({ description: `tasks live at once (default: all tasks, at most ${DEFAULT_PARALLELISM})` }),
      pack: z.number().int().min(1).max(10_000).optional().meta({
        description:
          "indexes per task: one container runs them (GPUPOOL_ARRAY_INDEXES lists them), default 1",
      }),
    })
    .optional(),
  /** A service: long-lived replicas behind a local endpoint, scaled by hand or on a metric (core/service.ts). */
  service: z
    .strictObject({
      replicas: z.number().int().min(0).max(MAX_REPLICAS).optional().meta({
        description: "replicas at first (default: minReplicas with autoscale, else 1)",
      }),
      minReplicas: z.number().int().min(0).max(MAX_REPLICAS).optional().meta({
        description: "the autoscaler's floor; 0 lets an idle service scale to zero (default 1)",
      }),
      maxReplicas: z.number().int().min(1).max(MAX_REPLICAS).optional().meta({
        description: "the autoscaler's ceiling (default: replicas)",
      }),
      port: z.number().int().min(1).max(65_535).optional().meta({
        description:
          "the local endpoint 127.0.0.1:PORT that spreads requests over ready replicas; each replica serves on its own $PORT",
      }),
      autoscale: z
        .strictObject({
          metric: z.enum(["queue", "inflight"]).meta({
            description:
              "queue: a length the service reports (POST /v1/services/{id}/metrics); inflight: requests in flight through the endpoint",
          }),
          targetPerReplica: z.number().positive().max(1e9).meta({
            description: "the metric's value per replica: replicas = ceil(value / target)",
          }),
          cooldownSeconds: z.number().min(0).max(3600).optional().meta({
            description: "least time between two scalings (default 30)",
          }),
          idleSeconds: z.number().min(0).max(86_400).optional().meta({
            description: "with minReplicas 0: how long idle before the last replica goes (default 300)",
          }),
          queuePath: z
            .string()
            .max(256)
            .regex(/^\/[\x21-\x7e]*$/, "must be a path like /queue (printable ASCII, no spaces)")
            .optional()
            .meta({
              description:
                "metric queue: a path each ready replica answers with its queue length, polled each second and summed (default: the service pushes it)",
            }),
        })
        .optional(),
      maxSurge: z.number().int().min(0).max(MAX_REPLICAS).optional().meta({
        description: "rolling update: new replicas beyond the desired count at once (default 1)",
      }),
      maxUnavailable: z.number().int().min(0).max(MAX_REPLICAS).optional().meta({
        description: "rolling update: how far below the desired count ready replicas may fall (default 0)",
      }),
    })
    .optional(),
  /** Idempotency key; the Idempotency-Key header does the same. */
  clientRequestId: z.string().min(1).max(200).optional(),
});
// Named in the OpenAPI document (components.schemas.JobSpec): this very instance is what normalizeSpec parses with.
jobSpecSchema.register(z.globalRegistry, {
  id: "JobSpec",
  description: "a job spec as written (POST /v1/jobs, gpupool apply -f); unknown fields are refused",
});

export type JobSpecInput = z.infer<typeof jobSpecSchema>;

function invalid(path: string, message: string): GpupoolError {
  return new GpupoolError("GP_INVALID_SPEC", `${path}: ${message}`, { path });
}

/** zod issues → one GP_INVALID_SPEC naming the first bad field. */
export function zodError(err: z.ZodError, what = "spec"): GpupoolError {
  const issue = err.issues[0];
  const path = issue && issue.path.length > 0 ? `${what}.${issue.path.join(".")}` : what;
  return new GpupoolError("GP_INVALID_SPEC", `${path}: ${issue?.message ?? "invalid"}`, {
    path,
    issues: err.issues.slice(0, 5).map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}

/** Parses a quantity, turning its error into one that names the field. */
function field<T>(path: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (isGpupoolError(err)) throw new GpupoolError(err.code, `${path}: ${err.message}`, { path });
    throw err;
  }
}

function gpuRequest(s: JobSpecInput): GpuRequest {
  const share = s.gpu !== undefined || s.gpuMemory !== undefined;
  const kinds = [s.gpus !== undefined, share, s.mig !== undefined].filter(Boolean).length;
  if (kinds > 1) throw invalid("spec.gpus", "give one of gpus (whole GPUs), gpu/gpuMemory (a share) or mig");
  if (s.gpus !== undefined) return { kind: "whole", count: s.gpus };
  if (s.mig !== undefined) {
    if (!/^\d+g\.\d+gb(\+me)?$/.test(s.mig))
      throw invalid("spec.mig", `"${s.mig}" is not a MIG profile like 1g.10gb`);
    return { kind: "mig", profile: s.mig };
  }
  if (share) {
    const { gpu, gpuMemory } = s;
    const milli = gpu === undefined ? 1000 : field("spec.gpu", () => parseGpuShareMilli(gpu));
    const memoryMiB = gpuMemory === undefined ? 0 : field("spec.gpuMemory", () => parseMemoryMiB(gpuMemory));
    return { kind: "share", milli, memoryMiB };
  }
  return { kind: "none" };
}

/**
 * Validates a spec (already-parsed JSON/YAML) and fills defaults. Throws GP_INVALID_SPEC (or a
 * quantity/priority/model code) naming the field; never anything else for bad input.
 */
export function normalizeSpec(input: unknown): NormalizedSpec {
  const parsed = jobSpecSchema.safeParse(input);
  if (!parsed.success) throw zodError(parsed.error);
  const s = parsed.data;
  const gpuModels = (s.gpuModels ?? []).map((m, i) =>
    field(`spec.gpuModels.${i}`, () => requireGpuModel(m).name),
  );
  for (const name of Object.keys(s.env ?? {})) {
    if (RESERVED_ENV.test(name))
      throw invalid(
        `spec.env.${name}`,
        "is set by gpupool from the job's slice (NVIDIA_*, CUDA_VISIBLE_DEVICES, CUDA_MPS_*, GPUPOOL_*)",
      );
  }
  const gpu = gpuRequest(s);
  if (gpu.kind === "mig") {
    const models = gpuModels.length > 0 ? gpuModels : GPU_MODELS.map((m) => m.name);
    const ok = models.some((m) => requireGpuModel(m).migProfiles.some((p) => p.name === gpu.profile));
    if (!ok)
      throw new GpupoolError(
        "GP_UNKNOWN_MIG_PROFILE",
        `spec.mig: no allowed GPU model offers MIG profile ${gpu.profile}`,
        {
          path: "spec.mig",
        },
      );
  }
  const replicas = s.replicas ?? 1;
  const array = s.array && arraySpec(s.array, replicas);
  const service = s.service && serviceSpec(s.service, s);
  const { cpu, memory } = s;
  return {
    name: s.name,
    image: s.image,
    ...(s.command ? { command: s.command } : {}),
    env: s.env ?? {},
    // Not asked: 0, nothing reserved and no limit (Kubernetes' rule for a container without requests).
    cpuMilli: cpu === undefined ? 0 : field("spec.cpu", () => parseCpuMilli(cpu)),
    memoryMiB: memory === undefined ? 0 : field("spec.memory", () => parseMemoryMiB(memory)),
    gpu,
    gpuModels,
    isolation: s.isolation ?? "container",
    priority: field("spec.priority", () => parsePriority(s.priority)),
    restartPolicy: s.restartPolicy ?? "Never",
    backoffLimit: s.backoffLimit ?? 3,
    backoffSeconds: s.backoffSeconds ?? 10,
    ...(s.timeoutSeconds !== undefined ? { timeoutSeconds: s.timeoutSeconds } : {}),
    stopGraceSeconds: s.stopGraceSeconds ?? 10,
    replicas,
    ...(s.masterPort !== undefined ? { masterPort: s.masterPort } : {}),
    preemptible: s.preemptible ?? true,
    ...(array ? { array } : {}),
    ...(service ? { service } : {}),
  };
}

/** A service's spec, defaults filled and its counts checked against each other. */
function serviceSpec(v: NonNullable<JobSpecInput["service"]>, s: JobSpecInput): ServiceSpec {
  if ((s.replicas ?? 1) > 1)
    throw invalid("spec.replicas", "a service's replica count is service.replicas (replicas makes a gang)");
  if (s.array) throw invalid("spec.service", "give one of array (a batch) or service (long-lived replicas)");
  if (s.isolation === "sandbox")
    throw invalid(
      "spec.isolation",
      "a service's replicas serve on the host's network, which gVisor (sandbox) here runs without; use container or vm",
    );
  const min = v.minReplicas ?? (v.autoscale ? 1 : (v.replicas ?? 1));
  const replicas = v.replicas ?? (v.autoscale ? min : 1);
  const max = v.maxReplicas ?? Math.max(replicas, min, 1);
  if (min > max) throw invalid("spec.service.minReplicas", `is ${min}, above maxReplicas (${max})`);
  if (replicas < min || replicas > max)
    throw invalid(
      "spec.service.replicas",
      `is ${replicas}, outside minReplicas..maxReplicas (${min}..${max})`,
    );
  const maxSurge = v.maxSurge ?? 1;
  const maxUnavailable = v.maxUnavailable ?? 0;
  if (maxSurge === 0 && maxUnavailable === 0)
    throw invalid(
      "spec.service.maxSurge",
      "maxSurge and maxUnavailable cannot both be 0: an update could not start",
    );
  const a = v.autoscale;
  if (a?.queuePath !== undefined && a.metric !== "queue")
    throw invalid("spec.service.autoscale.queuePath", "is where the queue metric is read: give metric queue");
  if (a?.queuePath !== undefined && v.port === undefined)
    throw invalid(
      "spec.service.autoscale.queuePath",
      "needs service.port: replicas are polled where the endpoint tracks them",
    );
  return {
    replicas,
    minReplicas: min,
    maxReplicas: max,
    ...(v.port !== undefined ? { port: v.port } : {}),
    ...(a
      ? {
          autoscale: {
            metric: a.metric,
            targetPerReplica: a.targetPerReplica,
            cooldownSeconds: a.cooldownSeconds ?? 30,
            idleSeconds: a.idleSeconds ?? 300,
            ...(a.queuePath !== undefined ? { queuePath: a.queuePath } : {}),
          },
        }
      : {}),
    maxSurge,
    maxUnavailable,
  };
}

/** The array of a spec, defaults filled; its indexes are checked here (GP_INVALID_SPEC naming them). */
function arraySpec(a: NonNullable<JobSpecInput["array"]>, replicas: number): ArraySpec {
  if (replicas > 1) throw invalid("spec.array", "an array's tasks are single jobs: leave out replicas");
  const count = parseArrayIndexes(a.indexes).length;
  const pack = a.pack ?? 1;
  return {
    indexes: a.indexes,
    parallelism: a.parallelism ?? Math.min(taskCount(count, pack), DEFAULT_PARALLELISM),
    pack,
  };
}

/**
 * The least CPU and memory a container can be limited to: checked only for what a spec asks for
 * (0, not asked, means no limit, so there is no minimum to meet).
 */
export function checkRunnable(spec: NormalizedSpec): void {
  if (spec.cpuMilli > 0 && spec.cpuMilli < 10)
    throw invalid("spec.cpu", "must be at least 10m (or left out: no reservation, no limit)");
  if (spec.memoryMiB > 0 && spec.memoryMiB < 6)
    throw invalid("spec.memory", "must be at least 6Mi, as engines refuse less (or left out: no limit)");
}
