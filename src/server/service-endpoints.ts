import http from "node:http";
import net from "node:net";
import type { Logger } from "../loop/logger.js";
import type { ServiceReconciler, ServiceTraffic } from "../agent/service-reconciler.js";
import type { ERROR_CODES } from "../core/errors.js";
import type { JobRecord, Store } from "../store/index.js";

/**
 * The stable local endpoints of services: for each running service with a port, an HTTP listener on
 * 127.0.0.1:PORT that sends each request to one ready replica (the one with the fewest requests in
 * flight), where a replica is ready once its job is Running and its $PORT accepts a connection.
 * A request that finds no ready replica waits for one (a service at zero replicas is woken by it:
 * the waiting request counts as in flight, which the autoscaler sees); after `waitMs` it is answered
 * 503 GP_SERVICE_UNAVAILABLE. A request whose replica refuses the connection is sent to another.
 * A replica being retired is drained: it gets no new requests and is stopped once its own are answered.
 *
 * This is the service reconciler's ServiceTraffic: readiness, in-flight counts and drains come from here.
 */

export interface EndpointOptions {
  /** How long a request waits for a ready replica, ms (default 60000). */
  readonly waitMs?: number;
  /** How often replicas' ports are checked, ms (default 200). */
  readonly probeMs?: number;
  /** "tcp" (default): ready once the port accepts; "running": ready once Running (the fake engine serves nothing). */
  readonly readiness?: "tcp" | "running";
  /** How often replicas' queue paths (autoscale.queuePath) are read, ms (default 1000). */
  readonly queuePollMs?: number;
  /** Largest request body the endpoint buffers (it is resent when a replica refuses), bytes (default 8 MiB). */
  readonly maxBodyBytes?: number;
}

interface Replica {
  readonly jobId: string;
  readonly port: number;
  ready: boolean;
  draining: boolean;
  active: number;
  idle: (() => void)[];
}

interface Endpoint {
  readonly serviceId: string;
  readonly port: number;
  readonly server: http.Server;
  readonly replicas: Map<string, Replica>;
  /** Requests waiting for a replica or in flight. */
  inflight: number;
  /** Round-robin position among equally loaded replicas. */
  turn: number;
  waiters: (() => void)[];
  /** Why it is not listening, when it is not. */
  error?: string;
  /** Resolves once it listens, or could not. */
  readonly opened: Promise<void>;
}

export class ServiceEndpoints implements ServiceTraffic {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private probing: ReturnType<typeof setInterval> | undefined;
  private polling: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly reconciler: ServiceReconciler,
    private readonly log: Logger,
    private readonly o: EndpointOptions = {},
  ) {}

  /** Opens the endpoints of running services and closes those of stopped ones; starts probing. */
  sync(): void {
    if (this.closed) return;
    const running = this.store.workloads.list({ running: true, kind: "service" });
    const want = new Map(
      running.flatMap((w) => (w.spec.service?.port !== undefined ? [[w.id, w.spec.service.port]] : [])),
    );
    for (const [id, ep] of this.endpoints) {
      if (want.get(id) === ep.port) continue;
      // Stopped (or moved to another port): close once its requests are answered.
      if (ep.inflight === 0 || !want.has(id)) {
        this.endpoints.delete(id);
        ep.server.close();
        for (const w of ep.waiters.splice(0)) w();
      }
    }
    for (const [id, port] of want) if (!this.endpoints.has(id)) this.open(id, port);
    this.probing ??= setInterval(() => this.probe(), this.o.probeMs ?? 200);
    this.probing.unref();
    this.polling ??= setInterval(() => void this.pollQueues(), this.o.queuePollMs ?? 1000);
    this.polling.unref();
  }

  private open(serviceId: string, port: number): void {
    const server = http.createServer((req, res) => void this.handle(ep, req, res));
    const ep: Endpoint = {
      serviceId,
      port,
      server,
      replicas: new Map(),
      inflight: 0,
      turn: 0,
      waiters: [],
      opened: new Promise<void>((resolve) => {
        server.once("listening", () => resolve());
        server.once("error", () => resolve());
      }),
    };
    server.keepAliveTimeout = 5000;
    server.on("error", (err: NodeJS.ErrnoException) => {
      ep.error =
        err.code === "EADDRINUSE" ? `endpoint port ${port} is in use by another program` : err.message;
      this.log.warn({ service: serviceId, port, err: err.message }, "service endpoint cannot listen");
    });
    server.listen(port, "127.0.0.1");
    this.endpoints.set(serviceId, ep);
    this.refresh(ep);
  }

  /** Resolves once the service's endpoint listens (or failed to): what creating a service answers after. */
  async listening(serviceId: string): Promise<void> {
    this.sync();
    await this.endpoints.get(serviceId)?.opened;
  }

  /** Why the endpoint of a service is not listening, if it is not. */
  problem(serviceId: string): string | undefined {
    return this.endpoints.get(serviceId)?.error;
  }

  /** The service's Running replicas as the endpoint tracks them (new ones not ready until probed). */
  private refresh(ep: Endpoint): void {
    const running = this.store.jobs.list({ owner: ep.serviceId, states: ["Running"] });
    const ids = new Set(running.map((j) => j.id));
    for (const [id, r] of ep.replicas)
      if (!ids.has(id)) {
        ep.replicas.delete(id);
        for (const f of r.idle.splice(0)) f();
      }
    for (const j of running)
      if (!ep.replicas.has(j.id) && j.spec.servicePort !== undefined)
        ep.replicas.set(j.id, {
          jobId: j.id,
          port: j.spec.servicePort,
          ready: false,
          draining: false,
          active: 0,
          idle: [],
        });
  }

  private probe(): void {
    for (const ep of this.endpoints.values()) {
      this.refresh(ep);
      for (const r of ep.replicas.values()) {
        if (r.ready) continue;
        if (this.o.readiness === "running") this.markReady(ep, r);
        else
          void tcpOpen(r.port).then((open) => {
            if (open && ep.replicas.get(r.jobId) === r && !r.ready) this.markReady(ep, r);
          });
      }
    }
  }

  /**
   * Services that answer their queue length at a path: each ready replica is asked (500 ms each),
   * and the sum of the answers is reported as the queue metric. No answer at all reports nothing.
   */
  private async pollQueues(): Promise<void> {
    for (const ep of this.endpoints.values()) {
      const path = this.store.workloads.get(ep.serviceId)?.spec.service?.autoscale?.queuePath;
      if (path === undefined) continue;
      const ready = [...ep.replicas.values()].filter((r) => r.ready && !r.draining);
      const answers = await Promise.all(ready.map((r) => queueAt(r.port, path)));
      const known = answers.filter((n): n is number => n !== undefined);
      if (known.length > 0 && !this.closed)
        this.reconciler.report(
          ep.serviceId,
          known.reduce((a, b) => a + b, 0),
        );
    }
  }

  private markReady(ep: Endpoint, r: Replica): void {
    r.ready = true;
    for (const w of ep.waiters.splice(0)) w();
    this.reconciler.poke(ep.serviceId);
  }

  // ------------------------------------------------------------ ServiceTraffic

  ready(serviceId: string, job: JobRecord): boolean {
    if (job.state !== "Running") return false;
    const ep = this.endpoints.get(serviceId);
    if (!ep) return true;
    return ep.replicas.get(job.id)?.ready ?? false;
  }

  inflight(serviceId: string): number {
    return this.endpoints.get(serviceId)?.inflight ?? 0;
  }

  drain(serviceId: string, jobId: string): Promise<void> {
    const r = this.endpoints.get(serviceId)?.replicas.get(jobId);
    if (!r) return Promise.resolve();
    r.draining = true;
    if (r.active === 0) return Promise.resolve();
    return new Promise((resolve) => r.idle.push(resolve));
  }

  // ------------------------------------------------------------ requests

  /** The ready replica with the fewest requests in flight; ties go round-robin. */
  private pick(ep: Endpoint): Replica | undefined {
    const open = [...ep.replicas.values()].filter((r) => r.ready && !r.draining);
    if (open.length === 0) return undefined;
    const least = Math.min(...open.map((r) => r.active));
    const tied = open.filter((r) => r.active === least);
    ep.turn = (ep.turn + 1) % 1_000_000;
    return tied[ep.turn % tied.length];
  }

  /** A ready replica, waiting for one up to the deadline; undefined when none came. */
  private async replicaFor(ep: Endpoint, deadline: number): Promise<Replica | undefined> {
    for (;;) {
      const r = this.pick(ep);
      if (r) return r;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed || this.endpoints.get(ep.serviceId) !== ep) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        ep.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private async handle(ep: Endpoint, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    ep.inflight++;
    try {
      const body = await readBody(req, this.o.maxBodyBytes ?? 8 * 1024 * 1024);
      if (body === undefined)
        return fail(res, 413, "GP_PAYLOAD_TOO_LARGE", "the request body is too large for the endpoint");
      const deadline = Date.now() + (this.o.waitMs ?? 60_000);
      for (let tries = 0; tries < 5; tries++) {
        const r = await this.replicaFor(ep, deadline);
        if (!r) break;
        r.active++;
        try {
          const sent = await forward(this.agent, r.port, req, body, res);
          if (sent) return;
          // Refused before anything was answered: not ready any more; try another.
          r.ready = false;
        } finally {
          r.active--;
          if (r.active === 0) for (const f of r.idle.splice(0)) f();
        }
      }
      fail(res, 503, "GP_SERVICE_UNAVAILABLE", `no replica of service ${ep.serviceId} answered in time`);
    } finally {
      ep.inflight--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probing) clearInterval(this.probing);
    if (this.polling) clearInterval(this.polling);
    await Promise.all(
      [...this.endpoints.values()].map(
        (ep) =>
          new Promise<void>((resolve) => {
            for (const w of ep.waiters.splice(0)) w();
            ep.server.close(() => resolve());
            ep.server.closeAllConnections();
          }),
      ),
    );
    this.endpoints.clear();
    this.agent.destroy();
  }
}

function fail(
  res: http.ServerResponse,
  status: number,
  code: keyof typeof ERROR_CODES,
  message: string,
): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: http.STATUS_CODES[status], code, message, statusCode: status }));
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on("end", () => resolve(size > max ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Sends one request to a replica and pipes its answer back. Resolves false when the replica could
 * not be reached at all (nothing was answered, so another may be tried), true once answered.
 */
function forward(
  agent: http.Agent,
  port: number,
  req: http.IncomingMessage,
  body: Buffer,
  res: http.ServerResponse,
): Promise<boolean> {
  return new Promise((resolve) => {
    const headers = { ...req.headers, host: `127.0.0.1:${port}`, "content-length": String(body.length) };
    delete headers.connection;
    delete headers["transfer-encoding"];
    const out = http.request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", () => resolve(true));
        answer.on("error", () => {
          res.destroy();
          resolve(true);
        });
      },
    );
    out.on("error", () => {
      if (res.headersSent) {
        res.destroy();
        resolve(true);
      } else resolve(false);
    });
    out.end(body);
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** A replica's queue length at `path`: a number, or JSON with a numeric `queue`; undefined otherwise. */
export async function queueAt(port: number, path: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(500) });
    const text = await res.text();
    return res.ok ? parseQueue(text) : undefined;
  } catch {
    return undefined;
  }
}

export function parseQueue(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  try {
    const v = (JSON.parse(t) as { queue?: unknown }).queue;
    return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
  } catch {
    return undefined;
  }
}
