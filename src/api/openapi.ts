import {
  createDocument,
  type oas31,
  type ZodOpenApiOverride,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from "zod-openapi";
import { ERROR_STATUSES, ROUTES, type Route } from "./routes.js";
import { errorBodySchema } from "./schemas.js";

/**
 * The OpenAPI 3.1 document served at /openapi.json, generated from the route table (api/routes.ts)
 * by zod-openapi: request and response schemas are the contract's zod schemas, converted by zod's
 * own JSON Schema conversion; the ones with an id are components.schemas entries.
 */

const errorAnswer = (description: string) => ({
  description,
  content: { "application/json": { schema: errorBodySchema } },
});

function operation(r: Route): ZodOpenApiOperationObject {
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, a] of Object.entries(r.responses))
    responses[status as `${1 | 2 | 3 | 4 | 5}${string}`] = {
      description: a.description,
      content: { [a.contentType ?? "application/json"]: { schema: a.schema } },
    };
  for (const status of r.errors) responses[`${status}`] = errorAnswer(ERROR_STATUSES[status]);
  responses.default = errorAnswer("a server or engine failure (5xx)");
  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: [r.path.startsWith("/v1/") ? r.path.split("/")[2]! : "server"],
    ...(r.auth === "none" ? { security: [] } : {}),
    ...(r.auth === "admin" ? { description: "Needs the admin tenant's token." } : {}),
    ...(r.params || r.query || r.headers
      ? {
          requestParams: {
            ...(r.params ? { path: r.params } : {}),
            ...(r.query ? { query: r.query } : {}),
            ...(r.headers ? { header: r.headers } : {}),
          },
        }
      : {}),
    ...(r.body
      ? { requestBody: { required: true, content: { "application/json": { schema: r.body } } } }
      : {}),
    responses,
  };
}

/**
 * Leaves out what zod's conversion adds that says nothing to a reader: the safe-integer bounds of
 * every integer, and the long date-time pattern next to `format: date-time`.
 */
const terse: ZodOpenApiOverride = ({ jsonSchema: s }) => {
  if (s.format === "date-time") delete s.pattern;
  if (s.type === "integer") {
    if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
    if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
  }
};

let cached: oas31.OpenAPIObject | undefined;

export function openApiDocument(): oas31.OpenAPIObject {
  if (cached) return cached;
  const paths: ZodOpenApiPathsObject = {};
  for (const r of ROUTES) {
    const item = paths[r.path] ?? {};
    item[r.method.toLowerCase() as "get" | "post" | "put" | "delete"] = operation(r);
    paths[r.path] = item;
  }
  cached = createDocument(
    {
      openapi: "3.1.0",
      info: {
        title: "gpupool API",
        version: "1",
        description: "Share GPUs as isolated container slices. Every error is an Error with a stable code.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
      paths,
    },
    { override: terse },
  );
  return cached;
}
