import type { KubeConfig } from "@kubernetes/client-node";
import { Agent, type Dispatcher, request } from "undici";

/**
 * A small REST client for the API server's writes (bindings, evictions, status patches, events,
 * leases) over one undici keep-alive agent: the scheduler sends hundreds of these a second, and
 * client-node's generated API spends more CPU per call than the binding itself costs. Reads and
 * watches go through client-node's informers.
 */
export class KubeHttp {
  private constructor(
    private readonly base: string,
    private readonly headers: Record<string, string>,
    private readonly dispatcher: Dispatcher,
  ) {}

  static async fromConfig(kc: KubeConfig, connections = 16): Promise<KubeHttp> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    const opts: { ca?: unknown; cert?: unknown; key?: unknown; headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts as never);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const user = kc.getCurrentUser();
    if (user?.token && !headers.Authorization) headers.Authorization = `Bearer ${user.token}`;
    const tls = {
      ...(opts.ca ? { ca: opts.ca as string } : {}),
      ...(opts.cert ? { cert: opts.cert as string } : {}),
      ...(opts.key ? { key: opts.key as string } : {}),
      ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
    };
    const dispatcher = new Agent({ connections, pipelining: 1, connect: tls, keepAliveTimeout: 30_000 });
    return new KubeHttp(cluster.server.replace(/\/$/, ""), headers, dispatcher);
  }

  /** One call; resolves with the status and parsed JSON body (undefined when empty). */
  async call(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<{ status: number; body: KubeStatusBody | undefined }> {
    const res = await request(`${this.base}${path}`, {
      method,
      dispatcher: this.dispatcher,
      headers: {
        ...this.headers,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": contentType }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    // Health endpoints answer plain text ("ok"); everything else is JSON.
    const json = text.startsWith("{") ? (JSON.parse(text) as KubeStatusBody) : undefined;
    return { status: res.statusCode, body: json };
  }

  /** A call that must succeed (2xx); anything else throws a KubeError with the server's message. */
  async ok(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<KubeStatusBody | undefined> {
    const r = await this.call(method, path, body, contentType);
    if (r.status >= 200 && r.status < 300) return r.body;
    throw new KubeError(r.status, r.body?.message ?? `HTTP ${r.status}`, r.body?.reason);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** The fields of a Kubernetes Status (or any object) the callers read. */
export interface KubeStatusBody {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly metadata?: { readonly resourceVersion?: string; readonly name?: string };
  readonly [k: string]: unknown;
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "KubeError";
  }
}
