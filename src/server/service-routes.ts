import type { FastifyInstance, FastifyRequest } from "fastify";
import type { z } from "zod";
import {
  listServicesQuery,
  removeJobQuery,
  type ServiceResponse,
  type ServicesResponse,
  scaleServiceBody,
  serviceMetricsBody,
  servicePathParams,
} from "../api/schemas.js";
import { GpupoolError } from "../core/errors.js";
import type { WorkloadRecord } from "../store/index.js";
import type { Caller } from "./auth.js";
import { serviceView } from "./job-view.js";
import type { JobsService } from "./jobs-service.js";

/**
 * The routes of services (services-service.ts): list, get, scale, metric reports, rolling update,
 * stop, delete. A service is created as a job spec with `service` (POST /v1/jobs); its replicas are
 * jobs (GET /v1/jobs/{id}, logs, events).
 */
export function registerServiceRoutes(
  app: FastifyInstance,
  jobs: JobsService,
  caller: (req: FastifyRequest) => Caller,
  parse: <T>(schema: z.ZodType<T>, value: unknown, what: string) => T,
): void {
  const REF = servicePathParams.shape.id;
  const services = jobs.services;
  const view = (w: WorkloadRecord) => {
    const v = serviceView(w, services.traffic(w));
    const problem = services.endpoints.problem(w.id);
    return problem && w.state === "Running" ? { ...v, reason: v.reason ?? problem } : v;
  };

  app.get("/v1/services", async (req) => {
    const q = parse(listServicesQuery, req.query, "query");
    const list = services.list(caller(req), { all: q.all === "true", running: q.running === "true" });
    return { services: list.map(view) } satisfies ServicesResponse;
  });

  app.get<{ Params: { id: string } }>("/v1/services/:id", async (req) => {
    const ref = parse(REF, req.params.id, "id");
    return { service: view(services.get(caller(req), ref)) } satisfies ServiceResponse;
  });

  app.put<{ Params: { id: string } }>("/v1/services/:id", async (req) => {
    const ref = parse(REF, req.params.id, "id");
    if (req.body === null || typeof req.body !== "object" || Array.isArray(req.body))
      throw new GpupoolError(
        "GP_INVALID_SPEC",
        "spec: the body must be a JSON object (a service's job spec)",
      );
    const updated = services.update(caller(req), ref, req.body);
    await services.endpoints.listening(updated.id);
    return { service: view(updated) } satisfies ServiceResponse;
  });

  app.post<{ Params: { id: string } }>("/v1/services/:id/scale", async (req) => {
    const ref = parse(REF, req.params.id, "id");
    const body = parse(scaleServiceBody, req.body, "body");
    return { service: view(services.scale(caller(req), ref, body.replicas)) } satisfies ServiceResponse;
  });

  app.post<{ Params: { id: string } }>("/v1/services/:id/metrics", async (req) => {
    const ref = parse(REF, req.params.id, "id");
    const body = parse(serviceMetricsBody, req.body, "body");
    return { service: view(services.report(caller(req), ref, body.queue)) } satisfies ServiceResponse;
  });

  app.post<{ Params: { id: string } }>("/v1/services/:id/stop", async (req) => {
    const ref = parse(REF, req.params.id, "id");
    return { service: view(await services.stop(caller(req), ref)) } satisfies ServiceResponse;
  });

  app.delete<{ Params: { id: string } }>("/v1/services/:id", async (req) => {
    const who = caller(req);
    const ref = parse(REF, req.params.id, "id");
    const q = parse(removeJobQuery, req.query, "query");
    const w = await services.remove(who, ref, q.force === "true", (job) => jobs.remove(who, job.id, false));
    return { service: view(w) } satisfies ServiceResponse;
  });
}
