import type { FastifyInstance, FastifyRequest } from "fastify";
import type { z } from "zod";
import {
  type ArrayResponse,
  type ArraysResponse,
  arrayPathParams,
  listArraysQuery,
  removeJobQuery,
  stopJobBody,
} from "../api/schemas.js";
import type { Caller } from "./auth.js";
import { arrayView } from "./job-view.js";
import type { JobsService } from "./jobs-service.js";

/**
 * The routes of batch arrays (arrays-service.ts): list, get, stop, delete. An array is submitted as
 * a job spec with `array` (POST /v1/jobs); its tasks are jobs (GET /v1/jobs/{id}, logs, events).
 */
export function registerArrayRoutes(
  app: FastifyInstance,
  jobs: JobsService,
  caller: (req: FastifyRequest) => Caller,
  parse: <T>(schema: z.ZodType<T>, value: unknown, what: string) => T,
): void {
  const ARRAY_ID = arrayPathParams.shape.id;
  const arrays = jobs.arrays;

  app.get("/v1/arrays", async (req) => {
    const q = parse(listArraysQuery, req.query, "query");
    const list = arrays.list(caller(req), { all: q.all === "true", running: q.running === "true" });
    return { arrays: list.map(arrayView) } satisfies ArraysResponse;
  });

  app.get<{ Params: { id: string } }>("/v1/arrays/:id", async (req) => {
    const id = parse(ARRAY_ID, req.params.id, "id");
    return { array: arrayView(arrays.get(caller(req), id)) } satisfies ArrayResponse;
  });

  app.post<{ Params: { id: string } }>("/v1/arrays/:id/stop", async (req) => {
    const id = parse(ARRAY_ID, req.params.id, "id");
    const body = parse(stopJobBody, req.body, "body");
    return {
      array: arrayView(await arrays.stop(caller(req), id, body.graceSeconds)),
    } satisfies ArrayResponse;
  });

  app.delete<{ Params: { id: string } }>("/v1/arrays/:id", async (req) => {
    const who = caller(req);
    const id = parse(ARRAY_ID, req.params.id, "id");
    const q = parse(removeJobQuery, req.query, "query");
    const w = await arrays.remove(who, id, q.force === "true", (job) => jobs.remove(who, job.id, false));
    return { array: arrayView(w) } satisfies ArrayResponse;
  });
}
