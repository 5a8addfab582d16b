import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../core/errors.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import { JOB_STATES } from "../core/job-states.js";
import type { GpuRequest } from "../core/workload.js";
import { quotaSchema } from "./quota-schema.js";

/**
 * The HTTP API's shapes: what each route takes (path parameters, queries, bodies) and answers (views,
 * the error body). The server parses its input with these schemas, the CLI parses the answers with
 * them, and /openapi.json is generated from them (api/routes.ts, api/openapi.ts), so the three cannot
 * drift apart. Request schemas are strict (an unknown field is a 400); response schemas describe
 * every field the server sends (a contract test checks that nothing else is sent).
 */

// ---------------------------------------------------------------- requests

/** A job id or tenant name in a path. */
export const idSchema = z.string().min(1).max(64);
export const jobPathParams = z.object({ id: idSchema.meta({ description: "the job's id" }) });
export const arrayPathParams = z.object({ id: idSchema.meta({ description: "the array's id" }) });
export const listArraysQuery = z.strictObject({
  all: z.enum(["true", "false"]).optional().meta({ description: "admin: every tenant's arrays" }),
  running: z.enum(["true", "false"]).optional().meta({ description: "only running arrays" }),
});
export const servicePathParams = z.object({
  id: idSchema.meta({ description: "the service's id, or its name" }),
});
export const listServicesQuery = z.strictObject({
  all: z.enum(["true", "false"]).optional().meta({ description: "admin: every tenant's services" }),
  running: z.enum(["true", "false"]).optional().meta({ description: "only running services" }),
});
export const scaleServiceBody = z.strictObject({
  replicas: z
    .number()
    .int()
    .min(0)
    .max(256)
    .meta({ description: "replicas wanted now (with autoscale, within minReplicas..maxReplicas)" }),
});
export const serviceMetricsBody = z.strictObject({
  queue: z
    .number()
    .min(0)
    .max(1e9)
    .meta({ description: "the service's queue length now (the `queue` autoscale metric)" }),
});
export const tenantPathParams = z.object({ name: idSchema.meta({ description: "the tenant's name" }) });
export const tokenPathParams = z.object({
  name: idSchema.meta({ description: "the tenant's name" }),
  id: idSchema.meta({ description: "the token's id (`gpupool tokens list TENANT`)" }),
});
export const jobRefParams = z.object({
  ref: idSchema.meta({
    description: "a job id, a gang id, a job's or gang's name, or a unique prefix of a job id",
  }),
});

/** A page's size when the query gives none, and the most one may ask (GET /v1/jobs, GET /v1/usage). */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 10_000;
/** Where the next page starts: the `next` of the page before (opaque). */
const cursor = z
  .string()
  .regex(/^\d{1,15}$/, "must be the `next` of the page before")
  .optional()
  .meta({ description: "the `next` of the page before" });
const nextCursor = z
  .string()
  .nullable()
  .meta({ description: "pass as `after` for the next page; null: this was the last" });

/** Routes that take no query parameters refuse any. */
export const noQuery = z.strictObject({});

export const listJobsQuery = z.strictObject({
  state: z
    .string()
    .max(200)
    .optional()
    .meta({ description: `comma-separated job states (${JOB_STATES.join(", ")})` }),
  all: z
    .enum(["true", "false"])
    .optional()
    .meta({ description: "admin: every tenant's jobs (`gpupool ps -A`)" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .optional()
    .meta({ description: `jobs per page (default ${DEFAULT_PAGE})` }),
  after: cursor,
});
export type ListJobsQuery = z.infer<typeof listJobsQuery>;

export const removeJobQuery = z.strictObject({
  force: z
    .enum(["true", "false"])
    .optional()
    .meta({ description: "stop a live job first (else a live job is 409 GP_JOB_NOT_FINISHED)" }),
});

export const logsQuery = z.strictObject({
  follow: z
    .enum(["true", "false", "1", "0"])
    .optional()
    .meta({ description: "wait for the container and stream until it exits" }),
  tail: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: "only the last N lines there are now (with follow: then the new ones)" }),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: "only lines logged at or after this ISO-8601 time" }),
});

export const eventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional().meta({ description: "events after this sequence number" }),
  limit: z.coerce.number().int().min(1).max(10_000).optional().meta({ description: "default 1000" }),
});

export const usageQuery = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .optional()
    .meta({ description: `jobs per page of \`jobs\` (default ${DEFAULT_PAGE})` }),
  after: cursor,
});

export const submitHeaders = z.object({
  "Idempotency-Key": z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: "the same as the spec's clientRequestId" }),
});

export const createTenantBody = z
  .strictObject({ name: z.string().min(1).max(63), quotas: quotaSchema.optional() })
  .meta({ id: "CreateTenant" });
export type CreateTenantBody = z.infer<typeof createTenantBody>;

export const createTokenBody = z
  .strictObject({ name: z.string().max(100).optional().meta({ description: "what the token is for" }) })
  .meta({ id: "CreateToken" });

export const stopJobBody = z
  .strictObject({
    graceSeconds: z.number().int().min(0).max(86_400).optional().meta({
      description: "seconds between SIGTERM and SIGKILL for this stop (default: the job's stopGraceSeconds)",
    }),
  })
  .meta({ id: "StopJob" });
export type StopJobBody = z.infer<typeof stopJobBody>;

// ---------------------------------------------------------------- views

const int = () => z.number().int();
const isoTime = () => z.iso.datetime().meta({ description: "ISO-8601 UTC" });
const jobState = z.enum(JOB_STATES).meta({ id: "JobState" });

export const gpuRequestSchema: z.ZodType<GpuRequest> = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("none") }),
    z.object({ kind: z.literal("whole"), count: int().min(1) }),
    z.object({
      kind: z.literal("share"),
      milli: int().min(1).max(1000),
      memoryMiB: int().min(0).meta({ description: "0: not given" }),
    }),
    z.object({ kind: z.literal("mig"), profile: z.string() }),
  ])
  .meta({ id: "GpuRequest", description: "what a job asks of GPUs" });

export const serviceSpecSchema = z
  .object({
    replicas: int().min(0),
    minReplicas: int().min(0),
    maxReplicas: int().min(1),
    port: int().optional().meta({ description: "the local endpoint's port (127.0.0.1)" }),
    autoscale: z
      .object({
        metric: z.enum(["queue", "inflight"]),
        targetPerReplica: z.number(),
        cooldownSeconds: z.number(),
        idleSeconds: z.number(),
        queuePath: z.string().optional(),
      })
      .optional(),
    maxSurge: int().min(0),
    maxUnavailable: int().min(0),
  })
  .meta({
    id: "ServiceSpec",
    description: "a service: replicas behind a local endpoint, scaled by hand or on a metric",
  });

const normalizedSpecObject = z.object({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()),
  cpuMilli: int()
    .min(0)
    .meta({ description: "reserved and limited to; 0: none asked (no reservation, no limit)" }),
  memoryMiB: int()
    .min(0)
    .meta({ description: "reserved and limited to; 0: none asked (no reservation, no limit)" }),
  gpu: gpuRequestSchema,
  gpuModels: z.array(z.string()),
  isolation: z.enum(["container", "sandbox", "vm"]),
  priority: int(),
  restartPolicy: z.enum(["Never", "OnFailure"]),
  backoffLimit: int(),
  backoffSeconds: z.number(),
  timeoutSeconds: z.number().optional(),
  stopGraceSeconds: int(),
  replicas: int(),
  masterPort: int().optional(),
  preemptible: z.boolean(),
  rank: int().optional().meta({ description: "gang members only: this member's rank (0-based)" }),
  array: z
    .object({ indexes: z.string(), parallelism: int().min(1), pack: int().min(1) })
    .optional()
    .meta({
      description: "a batch array: run once per index, `parallelism` tasks at once, `pack` indexes each",
    }),
  arrayIndexes: z.array(int()).optional().meta({ description: "an array's task only: the indexes it runs" }),
  service: serviceSpecSchema.optional(),
  servicePort: int()
    .optional()
    .meta({ description: "a service's replica only: the port it serves on ($PORT)" }),
  serviceGeneration: int()
    .optional()
    .meta({ description: "a service's replica only: the spec generation it was made from" }),
});
/** Every field of core's NormalizedSpec is in the schema, optional ones too: one missing fails to compile. */
type MissingSpecFields = Exclude<keyof NormalizedSpec, keyof z.output<typeof normalizedSpecObject>>;
const _specFieldsComplete: [MissingSpecFields] extends [never] ? true : MissingSpecFields = true;

/** The spec as stored: defaults filled, quantities in CPU milli, memory MiB and GPU share milli. */
export const normalizedSpecSchema: z.ZodType<NormalizedSpec> = normalizedSpecObject.meta({
  id: "NormalizedSpec",
});

export const jobViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tenant: z.string(),
    state: jobState,
    reason: z.string().nullable(),
    priority: int(),
    gang: z.string().nullable(),
    rank: int().nullable(),
    array: z.string().nullable().meta({ description: "an array's task: the array's id" }),
    service: z.string().nullable().meta({ description: "a service's replica: the service's id" }),
    node: z.string().nullable(),
    gpus: z
      .array(z.object({ index: int(), milli: int(), memoryMiB: int(), mig: z.string().optional() }))
      .meta({
        description: "GPUs held (placed jobs only): index, compute milli, GPU memory MiB, MIG profile",
      }),
    containerId: z.string().nullable(),
    exitCode: int().nullable(),
    attempts: int(),
    createdAt: isoTime(),
    startedAt: isoTime().nullable(),
    finishedAt: isoTime().nullable(),
    spec: normalizedSpecSchema,
  })
  .meta({ id: "Job", description: "a job; times are ISO-8601 UTC, null when not reached" });
export type JobView = z.infer<typeof jobViewSchema>;

export const jobEventSchema = z
  .object({
    seq: int(),
    jobId: z.string(),
    at: isoTime(),
    type: z.string().meta({ description: "submitted, transition, container, pending or a note's type" }),
    from: jobState.nullable(),
    to: jobState.nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: "JobEvent" });
export type JobEventView = z.infer<typeof jobEventSchema>;

export const logLineSchema = z
  .object({ stream: z.enum(["stdout", "stderr"]), text: z.string() })
  .meta({ id: "LogLine", description: "one line of a job's logs (one NDJSON line)" });
export type LogLineView = z.infer<typeof logLineSchema>;

export const nodeViewSchema = z
  .object({
    name: z.string(),
    cpuMilli: int(),
    memoryMiB: int(),
    gpus: int(),
    simulated: z.boolean(),
    driverVersion: z.string().nullable(),
    unhealthyGpus: int().meta({ description: "GPUs that take no new work (an XID in the kernel log)" }),
    used: z.object({ cpuMilli: int(), memoryMiB: int(), gpuMilli: int() }),
    jobs: int().meta({ description: "placed jobs" }),
  })
  .meta({ id: "Node" });
export type NodeView = z.infer<typeof nodeViewSchema>;

export const gpuViewSchema = z
  .object({
    index: int(),
    uuid: z.string().nullable(),
    model: z.string(),
    memoryMiB: int(),
    simulated: z.boolean(),
    usedMilli: int(),
    usedMemoryMiB: int(),
    slices: z.array(
      z.object({
        job: z.string().meta({ description: 'a job id, or "(another tenant)"' }),
        milli: int(),
        memoryMiB: int(),
      }),
    ),
    migEnabled: z.boolean().meta({ description: "MIG mode: the GPU is handed out only as MIG instances" }),
    unhealthy: z.string().nullable().meta({
      description: "why the GPU takes no new work (e.g. XID 79: fallen off the bus); null while healthy",
    }),
    migInstances: z
      .array(
        z.object({
          profile: z.string().meta({ description: "GPU-instance profile, e.g. 1g.10gb" }),
          start: int().meta({ description: "first memory slice of the instance" }),
          memorySlices: int().meta({ description: "memory slices it occupies (of 8)" }),
          computeSlices: int().meta({ description: "compute slices it has (of 7)" }),
          uuid: z.string().nullable().meta({ description: "MIG device UUID (simulated: MIG-SIM-…)" }),
          job: z.string().meta({ description: 'the job holding it, or "(another tenant)"' }),
        }),
      )
      .meta({ description: "the MIG instances placed jobs hold on this GPU, by start" }),
  })
  .meta({ id: "Gpu" });
export type GpuView = z.infer<typeof gpuViewSchema>;

const usage = {
  gpuMilliMs: z.number().min(0).meta({ description: "GPU milli × milliseconds" }),
  gpuMilliSeconds: z.number().min(0),
  gpuSeconds: z.number().min(0),
};

export const tenantSchema = z
  .object({
    name: z.string(),
    quotas: quotaSchema,
    createdAt: int().meta({ description: "milliseconds since the epoch" }),
  })
  .meta({ id: "Tenant" });
export type TenantView = z.infer<typeof tenantSchema>;

export const infoSchema = z
  .object({
    node: z.string(),
    engine: z.string().meta({ description: "podman, docker or fake" }),
    engineVersion: z.string(),
    runtimes: z.array(z.string()),
    simulated: z.boolean(),
    gpus: z.array(z.string()).meta({ description: "each GPU's model" }),
    gpuSharing: z.enum(["mps", "timeslice"]),
    tenant: z.string().meta({ description: "the caller's tenant" }),
  })
  .meta({ id: "Info" });
export type InfoView = z.infer<typeof infoSchema>;

const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

/** The one error body of the API: Fastify's shape plus a stable code from core/errors.ts. */
export const errorBodySchema = z
  .object({
    error: z.string().meta({ description: "the HTTP reason phrase" }),
    code: z.enum(ERROR_CODE_LIST).meta({ description: "see docs/errors.md" }),
    message: z.string(),
    statusCode: int(),
  })
  .meta({ id: "Error" });
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ---------------------------------------------------------------- responses

export const healthResponse = z.object({ ok: z.literal(true) });
export type HealthResponse = z.infer<typeof healthResponse>;
export const openApiResponse = z
  .record(z.string(), z.unknown())
  .meta({ description: "this OpenAPI 3.1 document" });
export const metricsResponse = z.string().meta({ description: "Prometheus text exposition format" });
export const arrayStates = ["Running", "Succeeded", "Failed", "Cancelled"] as const;
export const arrayViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tenant: z.string(),
    state: z.enum(arrayStates).meta({ description: "Running until every index has ended" }),
    reason: z.string().nullable(),
    indexes: z.string(),
    parallelism: int(),
    pack: int(),
    tasks: int().meta({ description: "jobs the array runs: its indexes, `pack` to a job" }),
    progress: z
      .object({
        total: int(),
        succeeded: int(),
        failed: int(),
        running: int(),
        pending: int(),
      })
      .meta({ description: "counted in indexes; a packed task's indexes share its job's state" }),
    createdAt: isoTime(),
    finishedAt: isoTime().nullable(),
    spec: normalizedSpecSchema,
  })
  .meta({ id: "Array", description: "a batch array: one spec run once per index" });
export type ArrayView = z.infer<typeof arrayViewSchema>;
export const serviceViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tenant: z.string(),
    state: z.enum(["Running", "Cancelled"]).meta({ description: "Running until stopped" }),
    reason: z
      .string()
      .nullable()
      .meta({ description: "why it has fewer replicas than it wants, if it does" }),
    desired: int().meta({ description: "replicas wanted now" }),
    live: int().meta({ description: "replicas not yet ended (pending, starting or running)" }),
    ready: int().meta({ description: "replicas running and answering at their port" }),
    updated: int().meta({ description: "live replicas of the current spec" }),
    generation: int().meta({ description: "the spec's generation: one more per update" }),
    minReplicas: int(),
    maxReplicas: int(),
    endpoint: z.string().nullable().meta({ description: "http://127.0.0.1:PORT, or null without a port" }),
    autoscale: z
      .object({
        metric: z.enum(["queue", "inflight"]),
        targetPerReplica: z.number(),
        value: z.number().nullable().meta({ description: "the metric's last value" }),
        inflight: int().meta({ description: "requests waiting or in flight at the endpoint" }),
      })
      .nullable(),
    createdAt: isoTime(),
    finishedAt: isoTime().nullable(),
    spec: normalizedSpecSchema,
  })
  .meta({ id: "Service", description: "a service: replicas of one spec behind a local endpoint" });
export type ServiceView = z.infer<typeof serviceViewSchema>;
export const serviceResponse = z.object({ service: serviceViewSchema });
export type ServiceResponse = z.infer<typeof serviceResponse>;
export const servicesResponse = z.object({ services: z.array(serviceViewSchema) });
export type ServicesResponse = z.infer<typeof servicesResponse>;
export const arrayResponse = z.object({ array: arrayViewSchema });
export type ArrayResponse = z.infer<typeof arrayResponse>;
export const arraysResponse = z.object({ arrays: z.array(arrayViewSchema) });
export type ArraysResponse = z.infer<typeof arraysResponse>;

export const jobsResponse = z.object({
  jobs: z.array(jobViewSchema),
  array: arrayViewSchema
    .optional()
    .meta({ description: "a batch array (submitted, or named by a reference); jobs are its live tasks" }),
  service: serviceViewSchema
    .optional()
    .meta({ description: "a service (created, or named by a reference); jobs are its live replicas" }),
});
export type JobsResponse = z.infer<typeof jobsResponse>;
export const jobPageResponse = z.object({ jobs: z.array(jobViewSchema), next: nextCursor });
export type JobPageResponse = z.infer<typeof jobPageResponse>;
export const jobResponse = z.object({ job: jobViewSchema });
export type JobResponse = z.infer<typeof jobResponse>;
export const eventsResponse = z.object({ events: z.array(jobEventSchema) });
export type EventsResponse = z.infer<typeof eventsResponse>;
export const nodesResponse = z.object({ nodes: z.array(nodeViewSchema) });
export type NodesResponse = z.infer<typeof nodesResponse>;
export const gpusResponse = z.object({ gpus: z.array(gpuViewSchema) });
export type GpusResponse = z.infer<typeof gpusResponse>;
export const usageResponse = z.object({
  tenants: z.array(z.object({ tenant: z.string(), ...usage })),
  jobs: z
    .array(z.object({ job: z.string(), name: z.string(), tenant: z.string(), ...usage }))
    .meta({ description: "one page, in submission order" }),
  next: nextCursor,
});
export type UsageResponse = z.infer<typeof usageResponse>;
export const tenantsResponse = z.object({ tenants: z.array(tenantSchema) });
export type TenantsResponse = z.infer<typeof tenantsResponse>;
export const tenantResponse = z.object({ tenant: tenantSchema });
export type TenantResponse = z.infer<typeof tenantResponse>;
export const createdTenantResponse = z.object({
  tenant: tenantSchema,
  token: z.string().meta({ description: "the tenant's first API token (shown once)" }),
});
export type CreatedTenantResponse = z.infer<typeof createdTenantResponse>;
export const createdTokenResponse = z.object({
  token: z.string().meta({ description: "the API token (shown once)" }),
  id: z.string(),
  prefix: z.string(),
});
export type CreatedTokenResponse = z.infer<typeof createdTokenResponse>;
export const tokenViewSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    name: z.string().meta({ description: "what the token is for" }),
    prefix: z.string().meta({ description: "its first characters, safe to show" }),
    createdAt: isoTime(),
    lastUsedAt: isoTime().nullable().meta({ description: "to the minute; null: never used" }),
    revokedAt: isoTime().nullable(),
  })
  .meta({ id: "ApiToken", description: "an API token as stored: never the token itself" });
export type TokenView = z.infer<typeof tokenViewSchema>;
export const tokensResponse = z.object({ tokens: z.array(tokenViewSchema) });
export type TokensResponse = z.infer<typeof tokensResponse>;
export const revokedTokenResponse = z.object({ revoked: tokenViewSchema });
export type RevokedTokenResponse = z.infer<typeof revokedTokenResponse>;
export const rotatedTokenResponse = createdTokenResponse.extend({
  revoked: tokenViewSchema.meta({ description: "the token it replaces, now revoked" }),
});
export type RotatedTokenResponse = z.infer<typeof rotatedTokenResponse>;
