import { request } from "undici";
import { ERROR_CODES, type ErrorCode, GpupoolError } from "../../core/errors.js";
import type { ClientConfig } from "./config.js";

/** The API over HTTP for the CLI. Server errors come back as the GpupoolError they were on the server. */
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
  ) {
    const url = `${this.config.server}${path}`;
    try {
      return await request(url, {
        method,
        headers: this.headers(body === undefined ? extra : { "content-type": "application/json", ...extra }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new GpupoolError(
        "GP_SERVER_UNREACHABLE",
        `cannot reach gpupool at ${this.config.server}: ${e.message ?? e.code ?? "unknown error"}`,
      );
    }
  }

  async json<T>(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    body?: unknown,
    extra?: Record<string, string>,
  ): Promise<T> {
    const res = await this.send(method, path, body, extra);
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
    return doc as T;
  }

  /** NDJSON lines of a streaming endpoint (logs). */
  async *lines(path: string, signal?: AbortSignal): AsyncIterable<unknown> {
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
          if (line.trim()) yield JSON.parse(line);
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

function toError(doc: unknown, status: number): GpupoolError {
  const d = (doc ?? {}) as { code?: string; message?: string };
  if (typeof d.code === "string" && d.code in ERROR_CODES)
    return new GpupoolError(d.code as ErrorCode, d.message ?? `HTTP ${status}`);
  return new GpupoolError(
    "GP_SERVER_ERROR",
    `HTTP ${status}: ${d.message ?? JSON.stringify(doc).slice(0, 200)}`,
  );
}
