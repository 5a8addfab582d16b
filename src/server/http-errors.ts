import type { FastifyError, FastifyInstance } from "fastify";
import type { ErrorBody } from "../api/schemas.js";
import { ERROR_CODES, GpupoolError, isGpupoolError } from "../core/errors.js";
import { mapSqliteError } from "../store/index.js";

const REASON: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  507: "Insufficient Storage",
};

/** The one error body of the API (api/schemas.ts errorBodySchema): `{error, code, message, statusCode}`. */
export function errorBody(err: GpupoolError): ErrorBody {
  const statusCode = err.statusCode;
  return { error: REASON[statusCode] ?? "Error", code: err.code, message: err.message, statusCode };
}

/** Fastify's own client errors (bad JSON, wrong content type, body too large…) → a stable code. */
export function fromFastifyError(err: FastifyError): GpupoolError {
  if (isGpupoolError(err)) return err;
  // A page that went bad while the server runs (the start-up check passed): say so, not "a bug".
  const sqlite = (err as { code?: unknown }).code;
  if (sqlite === "SQLITE_CORRUPT" || sqlite === "SQLITE_NOTADB")
    return new GpupoolError("GP_STORE_CORRUPT", `the store is damaged (${sqlite}: ${err.message})`);
  // A write outside a transaction helper (one statement) on a full disk: the same as inside one.
  const full = mapSqliteError(err, "a store write");
  if (isGpupoolError(full)) return full;
  const status = err.statusCode ?? 500;
  if (status === 413) return new GpupoolError("GP_PAYLOAD_TOO_LARGE", err.message);
  if (status === 415) return new GpupoolError("GP_UNSUPPORTED_MEDIA_TYPE", err.message);
  if (status === 404) return new GpupoolError("GP_NOT_FOUND", err.message);
  if (status >= 400 && status < 500) return new GpupoolError("GP_INVALID_ARGUMENT", err.message);
  return new GpupoolError("GP_INTERNAL", err.message);
}

/** Installs the error and not-found handlers: every failure leaves as an ErrorBody. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const e = fromFastifyError(err);
    if (e.code === "GP_INTERNAL" || ERROR_CODES[e.code].status >= 500)
      req.log.error({ err }, "request failed");
    void reply.status(e.statusCode).type("application/json").send(errorBody(e));
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new GpupoolError("GP_NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]}`);
    void reply.status(404).send(errorBody(e));
  });
}
