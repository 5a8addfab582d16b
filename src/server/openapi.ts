import { z } from "zod";
import { ERROR_CODES } from "../core/errors.js";
import { jobSpecSchema } from "../api/job-spec.js";
import { quotaSchema } from "../api/quota-schema.js";

/** The OpenAPI 3.1 document served at /openapi.json; the job spec schema comes from the zod schema itself. */
export function openApiDocument(): Record<string, unknown> {
  const error = {
    type: "object",
    required: ["error", "code", "message", "statusCode"],
    properties: {
      error: { type: "string" },
      code: { type: "string", enum: Object.keys(ERROR_CODES) },
      message: { type: "string" },
      statusCode: { type: "integer" },
    },
  };
  const errors = {
    "400": {
      description: "bad input",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
    "401": {
      description: "no or bad token",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
    "404": {
      description: "not found (or another tenant's)",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
  };
  const ok = (description: string) => ({ "200": { description }, ...errors });
  const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string" } }];
  return {
    openapi: "3.1.0",
    info: { title: "gpupool API", version: "1" },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        JobSpec: z.toJSONSchema(jobSpecSchema, { io: "input" }),
        Quotas: z.toJSONSchema(quotaSchema, { io: "input" }),
        Error: error,
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/healthz": { get: { summary: "liveness", security: [], responses: { "200": { description: "ok" } } } },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (aggregates only)",
          security: [],
          responses: { "200": { description: "text exposition format" } },
        },
      },
      "/v1/info": { get: { summary: "host, engine and caller", responses: ok("info") } },
      "/v1/jobs": {
        post: {
          summary: "submit a job (replicas > 1: a gang, one job per member)",
          parameters: [{ name: "Idempotency-Key", in: "header", schema: { type: "string" } }],
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/JobSpec" } } },
          },
          responses: {
            "201": { description: "created: {jobs}" },
            "200": { description: "replayed: the jobs of that request id" },
            "409": errors["404"],
            ...errors,
          },
        },
        get: {
          summary: "list your jobs",
          parameters: [
            { name: "state", in: "query", schema: { type: "string" }, description: "comma-separated states" },
            {
              name: "all",
              in: "query",
              schema: { type: "string", enum: ["true", "false"] },
              description: "admin: every tenant",
            },
            { name: "limit", in: "query", schema: { type: "integer" } },
          ],
          responses: ok("{jobs}"),
        },
      },
      "/v1/jobs/{id}": {
        parameters: idParam,
        get: { summary: "one job", responses: ok("{job}") },
        delete: { summary: "stop if needed and remove its container", responses: ok("{job}") },
      },
      "/v1/jobs/{id}/stop": {
        parameters: idParam,
        post: { summary: "stop gracefully (SIGTERM, grace, SIGKILL)", responses: ok("{job}") },
      },
      "/v1/jobs/{id}/events": {
        parameters: idParam,
        get: { summary: "the job's events", responses: ok("{events}") },
      },
      "/v1/jobs/{id}/logs": {
        parameters: [
          ...idParam,
          { name: "follow", in: "query", schema: { type: "string", enum: ["true", "false"] } },
        ],
        get: { summary: "log lines as NDJSON {stream, text}", responses: ok("application/x-ndjson") },
      },
      "/v1/events": {
        get: { summary: "events of your jobs after a sequence number", responses: ok("{events}") },
      },
      "/v1/nodes": { get: { summary: "the host and what is used", responses: ok("{nodes}") } },
      "/v1/gpus": { get: { summary: "GPUs and their slices", responses: ok("{gpus}") } },
      "/v1/usage": {
        get: { summary: "GPU-seconds per tenant and job (share × time)", responses: ok("{tenants, jobs}") },
      },
      "/v1/tenants": {
        get: { summary: "tenants (admin: all)", responses: ok("{tenants}") },
        post: {
          summary: "admin: create a tenant with quotas; returns its first token",
          requestBody: {
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["name"],
                  properties: { name: { type: "string" }, quotas: { $ref: "#/components/schemas/Quotas" } },
                },
              },
            },
          },
          responses: ok("{tenant, token}"),
        },
      },
      "/v1/tenants/{name}/quotas": {
        put: {
          summary: "admin: set a tenant's quotas (replaces them all)",
          requestBody: {
            content: { "application/json": { schema: { $ref: "#/components/schemas/Quotas" } } },
          },
          responses: ok("{tenant}"),
        },
      },
      "/v1/tenants/{name}/tokens": {
        post: { summary: "admin: issue another token", responses: ok("{token}") },
      },
    },
  };
}
