import type { z } from "zod";
import { jobSpecSchema } from "./job-spec.js";
import { quotaSchema } from "./quota-schema.js";
import {
  listServicesQuery,
  scaleServiceBody,
  serviceMetricsBody,
  servicePathParams,
  serviceResponse,
  servicesResponse,
  arrayPathParams,
  arrayResponse,
  arraysResponse,
  listArraysQuery,
  createdTenantResponse,
  createdTokenResponse,
  createTenantBody,
  createTokenBody,
  stopJobBody,
  eventsQuery,
  eventsResponse,
  gpusResponse,
  healthResponse,
  infoSchema,
  jobPathParams,
  jobRefParams,
  jobResponse,
  jobPageResponse,
  jobsResponse,
  listJobsQuery,
  logLineSchema,
  logsQuery,
  metricsResponse,
  nodesResponse,
  noQuery,
  openApiResponse,
  removeJobQuery,
  submitHeaders,
  tenantPathParams,
  tenantResponse,
  tenantsResponse,
  revokedTokenResponse,
  rotatedTokenResponse,
  tokenPathParams,
  tokensResponse,
  usageQuery,
  usageResponse,
} from "./schemas.js";

/**
 * The route table of the HTTP API: every route the server registers, with its operationId, its
 * inputs and its answers, all as the zod schemas of api/schemas.ts. /openapi.json is generated
 * from it (api/openapi.ts), and a test checks it against the routes the Fastify app really has.
 */

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface RouteAnswer {
  readonly description: string;
  readonly schema: z.ZodType;
  /** Default application/json. */
  readonly contentType?: string;
}

export interface Route {
  readonly method: Method;
  /** The path as OpenAPI writes it: `/v1/jobs/{id}` (Fastify: `/v1/jobs/:id`, see fastifyPath). */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  /** none: no token; tenant: any tenant's token; admin: the admin tenant's token only. */
  readonly auth: "none" | "tenant" | "admin";
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Success answers by status. */
  readonly responses: Readonly<Record<number, RouteAnswer>>;
  /** Error statuses the route answers with (an ErrorBody; any other failure is the `default` answer, also one). */
  readonly errors: readonly ErrorStatus[];
}

export const ERROR_STATUSES = {
  400: "bad input: the code and message name the field",
  401: "no token, or an unknown one",
  403: "needs the admin token (submit: a priority above the tenant's ceiling, GP_PRIORITY_FORBIDDEN)",
  404: "not found (another tenant's job is not found too)",
  409: "conflict with the current state",
  413: "body over 1 MiB",
  415: "body not JSON",
  429: "over the tenant's active-job quota",
} as const;
export type ErrorStatus = keyof typeof ERROR_STATUSES;

const json = (description: string, schema: z.ZodType): RouteAnswer => ({ description, schema });
const READ = [400, 401] as const satisfies readonly ErrorStatus[];
const READ_ONE = [400, 401, 404] as const satisfies readonly ErrorStatus[];
const WRITE = [400, 401, 403, 404, 409, 413, 415] as const satisfies readonly ErrorStatus[];

export const ROUTES: readonly Route[] = [
  {
    method: "GET",
    path: "/healthz",
    operationId: "health",
    summary: "liveness",
    auth: "none",
    responses: { 200: json("alive", healthResponse) },
    errors: [],
  },
  {
    method: "GET",
    path: "/openapi.json",
    operationId: "openApi",
    summary: "this document",
    auth: "none",
    responses: { 200: json("the OpenAPI 3.1 document", openApiResponse) },
    errors: [],
  },
  {
    method: "GET",
    path: "/metrics",
    operationId: "metrics",
    summary:
      "Prometheus metrics: aggregates without a token; with the admin token also per job and per tenant (docs/metrics.md)",
    auth: "none",
    responses: {
      200: {
        description: "text exposition format",
        schema: metricsResponse,
        contentType: "text/plain; version=0.0.4",
      },
    },
    errors: [401, 403],
  },
  {
    method: "GET",
    path: "/v1/info",
    operationId: "getInfo",
    summary: "host, engine, GPU sharing and the caller's tenant",
    auth: "tenant",
    query: noQuery,
    responses: { 200: json("info", infoSchema) },
    errors: READ,
  },
  {
    method: "POST",
    path: "/v1/jobs",
    operationId: "submitJob",
    summary: "submit a job (replicas > 1: a gang, one job per member; array: a batch array, its first tasks)",
    auth: "tenant",
    headers: submitHeaders,
    body: jobSpecSchema,
    responses: {
      201: json("created: the job (each member of a gang)", jobsResponse),
      200: json("replayed: the jobs of that client request id", jobsResponse),
    },
    errors: [...WRITE, 429],
  },
  {
    method: "GET",
    path: "/v1/arrays",
    operationId: "listArrays",
    summary: "list your batch arrays (admin with all=true: everyone's), oldest first",
    auth: "tenant",
    query: listArraysQuery,
    responses: { 200: json("the arrays", arraysResponse) },
    errors: READ,
  },
  {
    method: "GET",
    path: "/v1/arrays/{id}",
    operationId: "getArray",
    summary: "one batch array, with its progress",
    auth: "tenant",
    params: arrayPathParams,
    responses: { 200: json("the array", arrayResponse) },
    errors: READ_ONE,
  },
  {
    method: "POST",
    path: "/v1/arrays/{id}/stop",
    operationId: "stopArray",
    summary: "stop an array: no more tasks; pending ones cancelled, running ones stopped gracefully",
    auth: "tenant",
    params: arrayPathParams,
    body: stopJobBody,
    responses: { 200: json("the array", arrayResponse) },
    errors: [...READ_ONE, 409, 413, 415],
  },
  {
    method: "DELETE",
    path: "/v1/arrays/{id}",
    operationId: "removeArray",
    summary:
      "delete an ended array with its tasks (as DELETE /v1/jobs/{id} each); force=true stops a running one first",
    auth: "tenant",
    params: arrayPathParams,
    query: removeJobQuery,
    responses: { 200: json("the array as it was last", arrayResponse) },
    errors: [...READ_ONE, 409],
  },
  {
    method: "GET",
    path: "/v1/services",
    operationId: "listServices",
    summary: "list your services (admin with all=true: everyone's), oldest first",
    auth: "tenant",
    query: listServicesQuery,
    responses: { 200: json("the services", servicesResponse) },
    errors: READ,
  },
  {
    method: "GET",
    path: "/v1/services/{id}",
    operationId: "getService",
    summary: "one service (by id or name), with its replica counts",
    auth: "tenant",
    params: servicePathParams,
    responses: { 200: json("the service", serviceResponse) },
    errors: READ_ONE,
  },
  {
    method: "PUT",
    path: "/v1/services/{id}",
    operationId: "updateService",
    summary:
      "a rolling update: the service's new spec (same name); replicas are replaced within maxSurge/maxUnavailable",
    auth: "tenant",
    params: servicePathParams,
    body: jobSpecSchema,
    responses: { 200: json("the service", serviceResponse) },
    errors: WRITE,
  },
  {
    method: "POST",
    path: "/v1/services/{id}/scale",
    operationId: "scaleService",
    summary: "set the replicas wanted now (gpupool scale)",
    auth: "tenant",
    params: servicePathParams,
    body: scaleServiceBody,
    responses: { 200: json("the service", serviceResponse) },
    errors: [...READ_ONE, 409, 413, 415],
  },
  {
    method: "POST",
    path: "/v1/services/{id}/metrics",
    operationId: "reportServiceMetrics",
    summary: "report the service's queue length (the `queue` autoscale metric)",
    auth: "tenant",
    params: servicePathParams,
    body: serviceMetricsBody,
    responses: { 200: json("the service", serviceResponse) },
    errors: [...READ_ONE, 409, 413, 415],
  },
  {
    method: "POST",
    path: "/v1/services/{id}/stop",
    operationId: "stopService",
    summary: "stop a service: its replicas are drained at the endpoint, then stopped gracefully",
    auth: "tenant",
    params: servicePathParams,
    responses: { 200: json("the service", serviceResponse) },
    errors: READ_ONE,
  },
  {
    method: "DELETE",
    path: "/v1/services/{id}",
    operationId: "removeService",
    summary: "delete a stopped service with its replicas; force=true stops a running one first",
    auth: "tenant",
    params: servicePathParams,
    query: removeJobQuery,
    responses: { 200: json("the service as it was last", serviceResponse) },
    errors: [...READ_ONE, 409],
  },
  {
    method: "GET",
    path: "/v1/jobs",
    operationId: "listJobs",
    summary:
      "list your jobs (admin with all=true: everyone's), a page at a time (default 100; `next` → `after`)",
    auth: "tenant",
    query: listJobsQuery,
    responses: { 200: json("a page of the jobs, oldest first", jobPageResponse) },
    errors: READ,
  },
  {
    method: "GET",
    path: "/v1/jobs/{id}",
    operationId: "getJob",
    summary: "one job",
    auth: "tenant",
    params: jobPathParams,
    responses: { 200: json("the job", jobResponse) },
    errors: READ_ONE,
  },
  {
    method: "GET",
    path: "/v1/job-refs/{ref}",
    operationId: "resolveJobRef",
    summary:
      "the jobs a reference names: an exact id or gang id, a name (the live holder, else the newest), or a unique id prefix",
    auth: "tenant",
    params: jobRefParams,
    responses: { 200: json("the job, or a gang's members in rank order", jobsResponse) },
    errors: [...READ_ONE, 409],
  },
  {
    method: "DELETE",
    path: "/v1/jobs/{id}",
    operationId: "removeJob",
    summary:
      "delete a finished job: its container, archived logs, record and events (usage stays metered); force=true stops a live one first",
    auth: "tenant",
    params: jobPathParams,
    query: removeJobQuery,
    responses: { 200: json("the job as it was last", jobResponse) },
    errors: [...READ_ONE, 409],
  },
  {
    method: "POST",
    path: "/v1/jobs/{id}/stop",
    operationId: "stopJob",
    summary: "stop gracefully (SIGTERM, grace, SIGKILL); a pending job is cancelled at once",
    auth: "tenant",
    params: jobPathParams,
    body: stopJobBody,
    responses: { 200: json("the job", jobResponse) },
    errors: [...READ_ONE, 409, 413, 415],
  },
  {
    method: "GET",
    path: "/v1/jobs/{id}/events",
    operationId: "listJobEvents",
    summary: "the job's events",
    auth: "tenant",
    params: jobPathParams,
    responses: { 200: json("its events, in order", eventsResponse) },
    errors: READ_ONE,
  },
  {
    method: "GET",
    path: "/v1/jobs/{id}/logs",
    operationId: "getJobLogs",
    summary: "log lines as NDJSON; follow waits for the container and ends when it exits",
    auth: "tenant",
    params: jobPathParams,
    query: logsQuery,
    responses: {
      200: {
        description: "one LogLine per line",
        schema: logLineSchema,
        contentType: "application/x-ndjson",
      },
    },
    errors: READ_ONE,
  },
  {
    method: "GET",
    path: "/v1/events",
    operationId: "listEvents",
    summary:
      "events of your jobs (admin: all) after a sequence number; full pages (the tenant is part of the query)",
    auth: "tenant",
    query: eventsQuery,
    responses: { 200: json("the events, in order", eventsResponse) },
    errors: READ,
  },
  {
    method: "GET",
    path: "/v1/nodes",
    operationId: "listNodes",
    summary: "the host: CPU, memory and GPU totals and what is used",
    auth: "tenant",
    query: noQuery,
    responses: { 200: json("the nodes", nodesResponse) },
    errors: READ,
  },
  {
    method: "GET",
    path: "/v1/gpus",
    operationId: "listGpus",
    summary: "GPUs and their slices (other tenants' jobs shown as (another tenant))",
    auth: "tenant",
    query: noQuery,
    responses: { 200: json("the GPUs", gpusResponse) },
    errors: READ,
  },
  {
    method: "GET",
    path: "/v1/usage",
    operationId: "getUsage",
    summary:
      "GPU-seconds per tenant and job (share × time; running attempts up to now); jobs a page at a time (default 100)",
    auth: "tenant",
    query: usageQuery,
    responses: { 200: json("usage", usageResponse) },
    errors: READ,
  },
  {
    method: "GET",
    path: "/v1/tenants",
    operationId: "listTenants",
    summary: "tenants (admin: all; else the caller's)",
    auth: "tenant",
    query: noQuery,
    responses: { 200: json("the tenants", tenantsResponse) },
    errors: READ,
  },
  {
    method: "POST",
    path: "/v1/tenants",
    operationId: "createTenant",
    summary: "admin: create a tenant with quotas; answers its first token",
    auth: "admin",
    body: createTenantBody,
    responses: { 201: json("created", createdTenantResponse) },
    errors: WRITE,
  },
  {
    method: "PUT",
    path: "/v1/tenants/{name}/quotas",
    operationId: "setTenantQuotas",
    summary: "admin: set a tenant's quotas (replaces them all)",
    auth: "admin",
    params: tenantPathParams,
    body: quotaSchema,
    responses: { 200: json("the tenant", tenantResponse) },
    errors: WRITE,
  },
  {
    method: "DELETE",
    path: "/v1/tenants/{name}",
    operationId: "deleteTenant",
    summary:
      "admin: delete a tenant without live jobs, with its finished jobs (as rm), tokens and usage; the admin tenant stays",
    auth: "admin",
    params: tenantPathParams,
    query: noQuery,
    responses: { 200: json("the tenant as it was", tenantResponse) },
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: "POST",
    path: "/v1/tenants/{name}/tokens",
    operationId: "createTenantToken",
    summary: "admin: issue another API token for a tenant",
    auth: "admin",
    params: tenantPathParams,
    body: createTokenBody,
    responses: { 201: json("created", createdTokenResponse) },
    errors: WRITE,
  },
  {
    method: "GET",
    path: "/v1/tenants/{name}/tokens",
    operationId: "listTenantTokens",
    summary: "admin: a tenant's API tokens (ids, names, prefixes, last use, revocation; never the tokens)",
    auth: "admin",
    params: tenantPathParams,
    query: noQuery,
    responses: { 200: json("its tokens, oldest first", tokensResponse) },
    errors: [...READ_ONE, 403],
  },
  {
    method: "DELETE",
    path: "/v1/tenants/{name}/tokens/{id}",
    operationId: "revokeTenantToken",
    summary: "admin: revoke a token: its next request is 401 (revoking a revoked one changes nothing)",
    auth: "admin",
    params: tokenPathParams,
    responses: { 200: json("the token, revoked", revokedTokenResponse) },
    errors: [...READ_ONE, 403],
  },
  {
    method: "POST",
    path: "/v1/tenants/{name}/tokens/{id}/rotate",
    operationId: "rotateTenantToken",
    summary: "admin: replace a valid token with a new one of the same name; the old one is revoked at once",
    auth: "admin",
    params: tokenPathParams,
    responses: { 201: json("the new token (shown once) and the revoked one", rotatedTokenResponse) },
    errors: [...READ_ONE, 403],
  },
];

/** `/v1/jobs/{id}` → `/v1/jobs/:id`, the form Fastify registers. */
export function fastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}
