import { Readable } from "node:stream";
import { Registry } from "prom-client";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { z } from "zod";
import { zodError } from "../api/job-spec.js";
import { openApiDocument } from "../api/openapi.js";
import { quotaSchema } from "../api/quota-schema.js";
import {
  type CreatedTenantResponse,
  type CreatedTokenResponse,
  createTenantBody,
  createTokenBody,
  stopJobBody,
  type EventsResponse,
  eventsQuery,
  type GpusResponse,
  type HealthResponse,
  DEFAULT_PAGE,
  type InfoView,
  type JobPageResponse,
  type JobResponse,
  type JobsResponse,
  jobPathParams,
  jobRefParams,
  listJobsQuery,
  logsQuery,
  type NodesResponse,
  noQuery,
  removeJobQuery,
  type TenantResponse,
  tenantPathParams,
  type TenantsResponse,
} from "../api/schemas.js";
import type { NodeAgent } from "../agent/node-agent.js";
import { allocationGpuMilli } from "../agent/workload.js";
import { migInstanceUuid } from "../node/slice-for.js";
import { findGpuModel } from "../core/catalog.js";
import type { NodeSpec } from "../core/node.js";
import { GpupoolError, isGpupoolError } from "../core/errors.js";
import { parsePriority } from "../core/queue.js";
import type { ContainerEngine } from "../engines/engine.js";
import { isJobState, type JobState, type Store, type TenantQuotas, tenantQueueSpec } from "../store/index.js";
import { authenticate, type Caller, requireAdmin } from "./auth.js";
import { deleteTenant } from "./tenant-delete.js";
import { installErrorHandlers } from "./http-errors.js";
import { DEFAULT_HTTP_LIMITS, fastifyLimitOptions, type HttpLimits } from "./http-limits.js";
import { quietLogger, type Logger } from "../loop/logger.js";
import { registerArrayRoutes } from "./array-routes.js";
import { type EndpointOptions, ServiceEndpoints } from "./service-endpoints.js";
import { registerServiceRoutes } from "./service-routes.js";
import { arrayView, eventView, jobView, serviceView } from "./job-view.js";
import { JobsService } from "./jobs-service.js";
import { serverMetrics } from "./metrics.js";
import { tenantMetrics } from "./tenant-metrics.js";
import { recordRoutes } from "./route-list.js";
import { registerTokenRoutes } from "./token-routes.js";
import { registerUsageRoute } from "./usage-route.js";

export interface AppOptions {
  readonly store: Store;
  readonly agent: NodeAgent;
  readonly engine: ContainerEngine;
  readonly node: NodeSpec;
  /** What `GET /v1/info` reports about the host (the caller's tenant is added per request). */
  readonly info: Omit<InfoView, "tenant">;
  /** Fastify logger: false (default) or pino options. */
  readonly logger?: boolean | object;
  readonly now?: () => number;
  /** Timeouts and the connection cap (http-limits.ts); default DEFAULT_HTTP_LIMITS. */
  readonly httpLimits?: HttpLimits;
  /** Services' endpoints (service-endpoints.ts); readiness "running" on the fake engine. */
  readonly endpoints?: EndpointOptions;
  /** Where the endpoints log. */
  readonly log?: Logger;
}

/** Input is parsed with the contract's schemas (api/schemas.ts), the ones /openapi.json documents. */
const JOB_ID = jobPathParams.shape.id;
const JOB_REF = jobRefParams.shape.ref;
const TENANT_NAME = tenantPathParams.shape.name;

/** Parses input with its schema; an absent body is `{}`, but a JSON `null` is not (400, nothing changes). */
function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value === undefined ? {} : value);
  if (!r.success) {
    const e = zodError(r.error, what);
    throw new GpupoolError("GP_INVALID_ARGUMENT", e.message, e.details as Record<string, unknown>);
  }
  return r.data;
}

function ceiling(p: string | number): number {
  try {
    return parsePriority(p);
  } catch (err) {
    if (err instanceof GpupoolError)
      throw new GpupoolError(err.code, `maxPriority: ${err.message}`, { path: "maxPriority" });
    throw err;
  }
}

/**
 * The quotas to store: a priority class becomes its integer (GP_UNKNOWN_PRIORITY_CLASS otherwise), and
 * a guarantee must fit under its limit (the queue would refuse it), both before anything is stored.
 */
function tenantQuotas(q: z.infer<typeof quotaSchema>): TenantQuotas {
  const { maxPriority, ...rest } = q;
  const quotas: TenantQuotas = {
    ...rest,
    ...(maxPriority !== undefined ? { maxPriority: ceiling(maxPriority) } : {}),
  };
  tenantQueueSpec("quotas", quotas);
  return quotas;
}

function states(text: string | undefined): JobState[] | undefined {
  if (!text) return undefined;
  return text.split(",").map((s) => {
    const t = s.trim();
    if (!isJobState(t)) throw new GpupoolError("GP_INVALID_ARGUMENT", `state: unknown job state "${t}"`);
    return t;
  });
}

/**
 * The HTTP API (Fastify): jobs, logs, events, nodes, GPUs, usage and tenants under /v1, the OpenAPI
 * document at /openapi.json. Every error is an ErrorBody with a stable code; bad input is a 4xx and
 * changes nothing.
 */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { store, agent, engine, node } = opts;
  const now = opts.now ?? Date.now;
  const limits = opts.httpLimits ?? DEFAULT_HTTP_LIMITS;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    ...fastifyLimitOptions(limits),
  });
  app.server.maxConnections = limits.maxConnections;
  recordRoutes(app);
  installErrorHandlers(app);
  const endpoints = new ServiceEndpoints(store, agent.services, opts.log ?? quietLogger, {
    ...(engine.kind === "fake" ? { readiness: "running" as const } : {}),
    ...opts.endpoints,
  });
  agent.services.useTraffic(endpoints);
  endpoints.sync();
  app.addHook("onClose", () => endpoints.close());
  const jobs = new JobsService(store, agent, engine, endpoints);
  const caller = (req: FastifyRequest): Caller => authenticate(store, req);
  const view = (j: Parameters<typeof jobView>[0]) => jobView(j, agent.reasonFor(j));

  app.get("/healthz", async () => ({ ok: true }) satisfies HealthResponse);
  app.get("/openapi.json", async () => openApiDocument());
  const metrics = serverMetrics(
    store,
    node,
    agent.loop,
    (i) => agent.gpuUnhealthy(i),
    () => agent.overuse.actions(),
  );
  const detailed = Registry.merge([
    metrics,
    tenantMetrics(
      store,
      (id) => agent.overuse.usage(id),
      (job) => agent.reasonFor(job) ?? job.reason,
    ),
  ]);
  // Aggregates for anyone; with the admin token, the series that name tenants and jobs too.
  app.get("/metrics", async (req, reply) => {
    const who = req.headers.authorization === undefined ? undefined : caller(req);
    if (who && !who.admin)
      throw new GpupoolError(
        "GP_FORBIDDEN",
        "per-tenant metrics need the admin token; /metrics without a token has the aggregates",
      );
    const registry = who ? detailed : metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  app.get("/v1/info", async (req) => {
    parse(noQuery, req.query, "query");
    return { ...opts.info, tenant: caller(req).tenant } satisfies InfoView;
  });

  app.post("/v1/jobs", async (req, reply) => {
    const who = caller(req);
    const key = req.headers["idempotency-key"];
    if (Array.isArray(key)) throw new GpupoolError("GP_INVALID_ARGUMENT", "Idempotency-Key: give it once");
    if (
      req.body === undefined ||
      req.body === null ||
      typeof req.body !== "object" ||
      Array.isArray(req.body)
    )
      throw new GpupoolError("GP_INVALID_SPEC", "spec: the body must be a JSON object (a job spec)");
    const r = await jobs.submit(who, req.body, key);
    // A service is answered once its endpoint listens: a client may use it right away.
    if (r.service) await jobs.services.endpoints.listening(r.service.id);
    return reply.status(r.created ? 201 : 200).send({
      jobs: r.jobs.map(view),
      ...(r.array ? { array: arrayView(r.array) } : {}),
      ...(r.service ? { service: serviceView(r.service, jobs.services.traffic(r.service)) } : {}),
    } satisfies JobsResponse);
  });

  app.get("/v1/jobs", async (req) => {
    const who = caller(req);
    const q = parse(listJobsQuery, req.query, "query");
    const all = q.all === "true" && who.admin;
    const st = states(q.state);
    const limit = q.limit ?? DEFAULT_PAGE;
    // One more than the page tells whether there is a next one.
    const list = store.jobs.list({
      ...(all ? {} : { tenant: who.tenant }),
      ...(st ? { states: st } : {}),
      ...(q.after !== undefined ? { afterSeq: Number(q.after) } : {}),
      limit: limit + 1,
    });
    const page = list.slice(0, limit);
    const last = page.at(-1);
    return {
      jobs: page.map(view),
      next: list.length > limit && last ? String(last.seq) : null,
    } satisfies JobPageResponse;
  });

  app.get<{ Params: { id: string } }>("/v1/jobs/:id", async (req) => {
    const id = parse(JOB_ID, req.params.id, "id");
    return { job: view(jobs.get(caller(req), id)) } satisfies JobResponse;
  });

  app.get<{ Params: { id: string } }>("/v1/jobs/:id/events", async (req) => {
    const id = parse(JOB_ID, req.params.id, "id");
    jobs.get(caller(req), id);
    return { events: store.jobs.events(id).map(eventView) } satisfies EventsResponse;
  });

  app.get<{ Params: { id: string } }>("/v1/jobs/:id/logs", async (req, reply) => {
    const who = caller(req);
    const id = parse(JOB_ID, req.params.id, "id");
    const q = parse(logsQuery, req.query, "query");
    jobs.get(who, id);
    const ac = new AbortController();
    req.raw.on("close", () => ac.abort());
    reply.raw.on("close", () => ac.abort());
    const lines = jobs.logs(who, id, {
      follow: q.follow === "true" || q.follow === "1",
      signal: ac.signal,
      ...(q.tail !== undefined ? { tail: q.tail } : {}),
      ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
    });
    async function* ndjson() {
      for await (const l of lines) yield `${JSON.stringify({ stream: l.stream, text: l.text })}\n`;
    }
    return reply.type("application/x-ndjson").send(Readable.from(ndjson()));
  });

  app.post<{ Params: { id: string } }>("/v1/jobs/:id/stop", async (req) => {
    const id = parse(JOB_ID, req.params.id, "id");
    const body = parse(stopJobBody, req.body, "body");
    return {
      job: view(await jobs.stop(caller(req), id, body.graceSeconds)),
    } satisfies JobResponse;
  });

  app.delete<{ Params: { id: string } }>("/v1/jobs/:id", async (req) => {
    const id = parse(JOB_ID, req.params.id, "id");
    const q = parse(removeJobQuery, req.query, "query");
    return { job: view(await jobs.remove(caller(req), id, q.force === "true")) } satisfies JobResponse;
  });

  app.get<{ Params: { ref: string } }>("/v1/job-refs/:ref", async (req) => {
    const ref = parse(JOB_REF, req.params.ref, "ref");
    const who = caller(req);
    // A job's or gang's id or name first; else an array's, answered with its live tasks.
    try {
      return { jobs: jobs.resolve(who, ref).map(view) } satisfies JobsResponse;
    } catch (err) {
      const notFound = isGpupoolError(err) && err.code === "GP_JOB_NOT_FOUND";
      const array = notFound ? jobs.arrays.resolve(who, ref) : undefined;
      if (array)
        return {
          jobs: jobs.arrays.liveTasks(array.id).map(view),
          array: arrayView(array),
        } satisfies JobsResponse;
      // Else a service's, answered with its live replicas.
      const service = notFound ? jobs.services.resolve(who, ref) : undefined;
      if (!service) throw err;
      return {
        jobs: jobs.services.replicas(service.id).map(view),
        service: serviceView(service, jobs.services.traffic(service)),
      } satisfies JobsResponse;
    }
  });

  app.get("/v1/events", async (req) => {
    const who = caller(req);
    const q = parse(eventsQuery, req.query, "query");
    // The tenant is part of the query (not a filter after its LIMIT), so a page is full.
    const events = store.jobs.eventsSince(q.after ?? 0, q.limit ?? 1000, who.admin ? undefined : who.tenant);
    return { events: events.map(eventView) } satisfies EventsResponse;
  });

  app.get("/v1/nodes", async (req) => {
    parse(noQuery, req.query, "query");
    caller(req);
    const placed = store.jobs.list({ states: ["Scheduled", "Starting", "Running"] });
    const used = (pick: (j: (typeof placed)[number]) => number) => placed.reduce((s, j) => s + pick(j), 0);
    return {
      nodes: [
        {
          name: node.name,
          cpuMilli: node.cpuMilli,
          memoryMiB: node.memoryMiB,
          gpus: node.gpus.length,
          simulated: node.gpus.some((g) => g.simulated),
          driverVersion: node.driverVersion ?? null,
          unhealthyGpus: node.gpus.filter((g) => agent.gpuUnhealthy(g.index) !== undefined).length,
          used: {
            cpuMilli: used((j) => j.allocation?.cpuMilli ?? 0),
            memoryMiB: used((j) => j.allocation?.memoryMiB ?? 0),
            gpuMilli: used((j) => allocationGpuMilli(j.allocation)),
          },
          jobs: placed.length,
        },
      ],
    } satisfies NodesResponse;
  });

  app.get("/v1/gpus", async (req) => {
    parse(noQuery, req.query, "query");
    const who = caller(req);
    const placed = store.jobs.list({ states: ["Scheduled", "Starting", "Running"] });
    return {
      gpus: node.gpus.map((g) => {
        const held = placed.flatMap((j) =>
          (j.allocation?.gpus ?? [])
            .filter((a) => a.index === g.index)
            .map((a) => ({ a, job: who.admin || j.tenant === who.tenant ? j.id : "(another tenant)" })),
        );
        const holders = held.map(({ a, job }) => ({ job, milli: a.milli, memoryMiB: a.memoryMiB }));
        const profiles = findGpuModel(g.model)?.migProfiles ?? [];
        const migInstances = held
          .flatMap(({ a, job }) => (a.mig ? [{ mig: a.mig, job }] : []))
          .sort((x, y) => x.mig.start - y.mig.start)
          .map(({ mig, job }) => {
            const profile = profiles.find((p) => p.name === mig.profile);
            return {
              profile: mig.profile,
              start: mig.start,
              memorySlices: profile?.memorySlices ?? 0,
              computeSlices: profile?.computeSlices ?? 0,
              uuid: migInstanceUuid(node, g.index, mig) ?? null,
              job,
            };
          });
        return {
          index: g.index,
          uuid: g.uuid ?? null,
          model: g.model,
          memoryMiB: g.memoryMiB,
          simulated: g.simulated === true,
          usedMilli: holders.reduce((s, h) => s + h.milli, 0),
          usedMemoryMiB: holders.reduce((s, h) => s + h.memoryMiB, 0),
          slices: holders,
          migEnabled: g.migEnabled === true,
          migInstances,
          unhealthy: agent.gpuUnhealthy(g.index) ?? null,
        };
      }),
    } satisfies GpusResponse;
  });

  registerUsageRoute(app, store, caller, parse, now);

  app.get("/v1/tenants", async (req) => {
    parse(noQuery, req.query, "query");
    const who = caller(req);
    if (!who.admin) return { tenants: [store.tenants.require(who.tenant)] } satisfies TenantsResponse;
    return { tenants: store.tenants.list() } satisfies TenantsResponse;
  });

  app.post("/v1/tenants", async (req, reply) => {
    requireAdmin(caller(req));
    const body = parse(createTenantBody, req.body, "body");
    const { tenant, token } = (() => {
      const quotas = tenantQuotas(body.quotas ?? {});
      const t = store.tenants.create(body.name, quotas);
      return { tenant: t, token: store.tokens.create(t.name, "created with the tenant").token };
    })();
    return reply.status(201).send({ tenant, token } satisfies CreatedTenantResponse);
  });

  app.put<{ Params: { name: string } }>("/v1/tenants/:name/quotas", async (req) => {
    requireAdmin(caller(req));
    const quotas = tenantQuotas(parse(quotaSchema, req.body, "body"));
    const t = store.tenants.setQuotas(parse(TENANT_NAME, req.params.name, "name"), quotas);
    return { tenant: t } satisfies TenantResponse;
  });

  app.delete<{ Params: { name: string } }>("/v1/tenants/:name", async (req) => {
    const who = caller(req);
    requireAdmin(who);
    const name = parse(TENANT_NAME, req.params.name, "name");
    return { tenant: await deleteTenant(store, jobs, who, name) } satisfies TenantResponse;
  });

  app.post<{ Params: { name: string } }>("/v1/tenants/:name/tokens", async (req, reply) => {
    requireAdmin(caller(req));
    const body = parse(createTokenBody, req.body, "body");
    const r = store.tokens.create(
      store.tenants.require(parse(TENANT_NAME, req.params.name, "name")).name,
      body.name ?? "",
    );
    return reply
      .status(201)
      .send({ token: r.token, id: r.record.id, prefix: r.record.prefix } satisfies CreatedTokenResponse);
  });

  registerTokenRoutes(app, store, caller, parse);
  registerArrayRoutes(app, jobs, caller, parse);
  registerServiceRoutes(app, jobs, caller, parse);
  return app;
}
