import { request } from "undici";
import type { z } from "zod";
import { errorBodySchema } from "../../api/schemas.js";
import { GpupoolError } from "../../core/errors.js";
import type { ClientConfig } from "./config.js";

/**
 * The API over HTTP for the CLI. Answers are parsed with the contract's response schemas
 * (api/schemas.ts, the ones the server's /openapi.json documents), so their types are inferred from
 * them; an answer that does not match is GP_SERVER_ERROR. Server errors come back as the
 * GpupoolError they were on the server.
 */
export class ApiClient {
  constructor(readonly config: ClientConfig) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}),
      ...extra,
    };
  }

  private async send(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    body?: unknown,
    extra?: Record<string, string>,
    signal?: AbortSignal,
  ) {
    const url = `${this.config.server}${path}`;
    try {
      return await request(url, {
        method,
        headers: this.headers(body === undefined ? extra : { "content-type": "application/json", ...extra }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new GpupoolError(
        "GP_SERVER_UNREACHABLE",
        `cannot reach gpupool at ${this.config.server}: ${e.message ?? e.code ?? "unknown error"}`,
      );
    }
  }

  async json<S extends z.ZodType>(
    schema: S,
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    body?: unknown,
    extra?: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<z.output<S>> {
    const res = await this.send(method, path, body, extra, signal);
    const text = await res.body.text();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new GpupoolError(
        "GP_SERVER_ERROR",
        `${method} ${path}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`,
      );
    }
    if (res.statusCode >= 400) throw toError(doc, res.statusCode);
    return conforming(schema, doc, `${method} ${path}`);
  }

  /** NDJSON lines of a streaming endpoint (logs), each parsed with `schema`. */
  async *lines<S extends z.ZodType>(
    schema: S,
    path: string,
    signal?: AbortSignal,
  ): AsyncIterable<z.output<S>> {
    const res = await this.send("GET", path);
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new GpupoolError("GP_SERVER_ERROR", `GET ${path}: HTTP ${res.statusCode}`);
      }
      throw toError(doc, res.statusCode);
    }
    let buf = "";
    const onAbort = () => res.body.destroy();
    signal?.addEventListener("abort", onAbort);
    try {
      for await (const chunk of res.body) {
        buf += chunk.toString();
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) yield conforming(schema, parseLine(line, path), `GET ${path}`);
          nl = buf.indexOf("\n");
        }
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

function parseLine(line: string, path: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new GpupoolError("GP_SERVER_ERROR", `GET ${path}: a line that is not JSON: ${line.slice(0, 200)}`);
  }
}

/** The answer as the contract's schema parses it, or GP_SERVER_ERROR naming the first bad field. */
function conforming<S extends z.ZodType>(schema: S, doc: unknown, what: string): z.output<S> {
  const r = schema.safeParse(doc);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new GpupoolError(
    "GP_SERVER_ERROR",
    `${what}: the answer does not match the API contract (${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"})`,
  );
}

/** An Error body (api/schemas.ts) → its GpupoolError; anything else → GP_SERVER_ERROR. */
function toError(doc: unknown, status: number): GpupoolError {
  const e = errorBodySchema.safeParse(doc);
  if (e.success) return new GpupoolError(e.data.code, e.data.message);
  const message = (doc as { message?: unknown } | null)?.message;
  return new GpupoolError(
    "GP_SERVER_ERROR",
    `HTTP ${status}: ${typeof message === "string" ? message : JSON.stringify(doc).slice(0, 200)}`,
  );
}
