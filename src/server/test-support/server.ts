import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerEngine } from "../../engines/engine.js";
import { FakeEngine } from "../../engines/fake.js";
import type { JobView } from "../../api/schemas.js";
import { type RunningServer, startServer, type UpOptions } from "../up.js";

export const ADMIN = "gp_test-admin-token-0123456789";

/** A small job spec for API tests: busybox, 100m CPU, 64Mi, a 1 s stop grace; `extra` overrides. */
export const testJob = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: "localhost/busybox:latest",
  cpu: "100m",
  memory: "64Mi",
  stopGraceSeconds: 1,
  ...extra,
});

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answered
type AnyJson = any;

export interface TestServer {
  readonly server: RunningServer;
  readonly dir: string;
  /** inject as a token's holder; returns status and parsed JSON. */
  call(
    method: "GET" | "POST" | "PUT" | "DELETE",
    url: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: AnyJson }>;
  tenant(name: string, quotas?: Record<string, number>): Promise<string>;
  submit(spec: Record<string, unknown>, token?: string): Promise<JobView[]>;
  job(id: string, token?: string): Promise<JobView>;
  /** Polls until `pred` holds for the job (default 30 s). */
  until(id: string, pred: (j: JobView) => boolean, timeoutMs?: number, token?: string): Promise<JobView>;
  logs(id: string, token?: string): Promise<string>;
  close(): Promise<void>;
}

/** A gpupool server on loopback (random port) over a fresh data dir; the fake engine unless one is given. */
export async function testServer(
  opts: Partial<UpOptions> & { engineInstance?: ContainerEngine } = {},
): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), "gp-srv-"));
  const server = await startServer({
    simulate: "1xA100-80GB",
    listen: "127.0.0.1:0",
    data: dir,
    adminToken: ADMIN,
    resyncMs: 200,
    ...(opts.engine === undefined && !opts.engineInstance ? { engineInstance: new FakeEngine() } : {}),
    ...opts,
  });
  const call: TestServer["call"] = async (method, url, body, token = ADMIN) => {
    const res = await server.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    let parsed: unknown = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // not JSON (logs)
    }
    return { status: res.statusCode, body: parsed };
  };
  const job = async (id: string, token = ADMIN) =>
    (await call("GET", `/v1/jobs/${id}`, undefined, token)).body.job as JobView;
  return {
    server,
    dir,
    call,
    async tenant(name, quotas = {}) {
      const r = await call("POST", "/v1/tenants", { name, quotas });
      if (r.status !== 201) throw new Error(`tenant ${name}: ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async submit(spec, token = ADMIN) {
      const r = await call("POST", "/v1/jobs", spec, token);
      if (r.status >= 300) throw new Error(`submit: ${JSON.stringify(r.body)}`);
      return r.body.jobs as JobView[];
    },
    job,
    async until(id, pred, timeoutMs = 30_000, token = ADMIN) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const j = await job(id, token);
        if (pred(j)) return j;
        if (Date.now() > deadline)
          throw new Error(
            `job ${id} did not get there in time: ${JSON.stringify({ state: j.state, reason: j.reason })}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async logs(id, token = ADMIN) {
      const r = await server.app.inject({
        method: "GET",
        url: `/v1/jobs/${id}/logs`,
        headers: { authorization: `Bearer ${token}` },
      });
      return r.body
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { text: string }).text)
        .join("\n");
    },
    async close() {
      await server.close();
      // startServer leaves an engine it was given open: it belongs to the caller.
      if (server.engine.kind !== "podman" || opts.engineInstance) await server.engine.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
