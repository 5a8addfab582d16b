import { Readable } from "node:stream";
import { Agent, request } from "undici";
import { GpupoolError } from "../core/errors.js";

/**
 * A small JSON-over-HTTP client for an engine's unix socket (Docker Engine API, libpod API).
 * Paths are relative to `prefix` (e.g. "/v1.41" or "/v4.0.0/libpod"). Connection failures become
 * GP_ENGINE_UNAVAILABLE; HTTP statuses are returned to the caller, which knows what a 404 means.
 */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: AsyncIterable<Uint8Array> & {
    text(): Promise<string>;
    json(): Promise<unknown>;
    dump(): Promise<void>;
  };
}

export type Query = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

export interface RequestOptions {
  readonly query?: Query;
  /** JSON-encoded unless it is bytes or a byte stream (sent as application/x-tar). */
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Milliseconds to wait for response headers; 0 = no limit (wait, stop, follow). Default 60 s. */
  readonly headersTimeoutMs?: number;
}

export class UnixHttpClient {
  private readonly agent: Agent;

  constructor(
    readonly socketPath: string,
    private readonly prefix: string,
  ) {
    // No body timeout: followed logs and waits legitimately stay silent for hours.
    this.agent = new Agent({ connect: { socketPath }, bodyTimeout: 0, keepAliveTimeout: 10_000 });
  }

  async send(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const url = `http://engine${this.prefix}${path}${encodeQuery(opts.query)}`;
    let body: string | Uint8Array | Readable | undefined;
    const headers: Record<string, string> = {};
    if (opts.body instanceof Uint8Array || isAsyncIterable(opts.body)) {
      body =
        opts.body instanceof Uint8Array ? opts.body : Readable.from(opts.body as AsyncIterable<Uint8Array>);
      headers["content-type"] = "application/x-tar";
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    try {
      const res = await request(url, {
        method: method as "GET",
        dispatcher: this.agent,
        headers,
        body,
        signal: opts.signal,
        headersTimeout: opts.headersTimeoutMs ?? 60_000,
        bodyTimeout: 0,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const code = (err as { code?: string }).code ?? "";
      if (["ENOENT", "ECONNREFUSED", "ECONNRESET", "EACCES", "ENOTSOCK", "UND_ERR_SOCKET"].includes(code)) {
        throw new GpupoolError(
          "GP_ENGINE_UNAVAILABLE",
          `container engine at ${this.socketPath} is not answering (${code}: ${(err as Error).message})`,
          { socketPath: this.socketPath },
        );
      }
      throw new GpupoolError(
        "GP_ENGINE_ERROR",
        `${method} ${path} on ${this.socketPath} failed: ${(err as Error).message}`,
      );
    }
  }

  /** Sends and parses a JSON answer; statuses outside `ok` throw via engineError. */
  async json<T>(
    method: string,
    path: string,
    opts: RequestOptions & { ok?: readonly number[] } = {},
  ): Promise<T> {
    const res = await this.send(method, path, opts);
    if (!(opts.ok ?? [200, 201]).includes(res.status)) throw await engineError(res, method, path);
    const text = await res.body.text();
    return (text.length === 0 ? undefined : JSON.parse(text)) as T;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The engine's error message from a JSON body ({message} or {cause, message}), else the raw text. */
export async function errorMessage(res: HttpResponse): Promise<string> {
  const text = await res.body.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as { message?: string; cause?: string };
    return parsed.message ?? parsed.cause ?? text;
  } catch {
    return text.trim();
  }
}

export async function engineError(res: HttpResponse, method: string, path: string): Promise<GpupoolError> {
  const message = await errorMessage(res);
  return new GpupoolError("GP_ENGINE_ERROR", `${method} ${path} → HTTP ${res.status}: ${message}`, {
    status: res.status,
    engineMessage: message,
  });
}

function encodeQuery(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s.length > 0 ? `?${s}` : "";
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}
