import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { JobView, ServiceView } from "../api/schemas.js";
import { freePort } from "./test-support/free-port.js";
import { ADMIN, type TestServer, testJob, testServer } from "./test-support/server.js";

/** Services on the fake engine (a replica is ready once Running): scale, replace, quotas, autoscale, updates. */

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(simulate = "1xA100-80GB"): Promise<TestServer> {
  const base = 20_000 + Math.floor(Math.random() * 9000);
  t = await testServer({ simulate, services: { tickMs: 50, replicaPorts: { base, span: 1000 } } });
  return t;
}

async function service(s: TestServer, ref: string, token = ADMIN): Promise<ServiceView> {
  const r = await s.call("GET", `/v1/services/${ref}`, undefined, token);
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.service as ServiceView;
}

async function replicas(s: TestServer, id: string, token = ADMIN): Promise<JobView[]> {
  const jobs = (await s.call("GET", "/v1/jobs?limit=1000", undefined, token)).body.jobs as JobView[];
  return jobs.filter((j) => j.service === id);
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in time: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const running = (js: JobView[]) => js.filter((j) => j.state === "Running");

describe("services", () => {
  it("keeps its replicas: made as asked, scaled up and down (newest first), one that ends replaced", async () => {
    const s = await start();
    const r = await s.call(
      "POST",
      "/v1/jobs",
      testJob("web", { command: ["sleep", "600"], service: { replicas: 2 } }),
    );
    expect(r.status).toBe(201);
    const id = r.body.service.id as string;
    expect(id).toMatch(/^s-/);
    await until(
      "2 ready",
      () => service(s, "web"),
      (v) => v.ready === 2 && v.live === 2,
    );
    const two = await replicas(s, id);
    expect(two.map((j) => j.name).sort()).toEqual(["web-0", "web-1"]);
    const ports = two.map((j) => j.spec.servicePort);
    expect(new Set(ports).size).toBe(2);

    expect((await s.call("POST", "/v1/services/web/scale", { replicas: 4 })).status).toBe(200);
    await until(
      "4 ready",
      () => service(s, id),
      (v) => v.ready === 4,
    );
    await s.call("POST", "/v1/services/web/scale", { replicas: 1 });
    const one = await until(
      "1 running",
      () => replicas(s, id),
      (js) => running(js).length === 1 && js.every((j) => j.state === "Running" || j.state === "Cancelled"),
    );
    expect(running(one).map((j) => j.name)).toEqual(["web-0"]);

    // A replica that ends (here: stopped by hand) is made again under a new slot.
    await s.call("POST", `/v1/jobs/${running(one)[0]!.id}/stop`, {});
    const again = await until(
      "replaced",
      () => replicas(s, id),
      (js) => running(js).some((j) => j.name !== "web-0"),
    );
    expect(running(again)).toHaveLength(1);
    expect((await service(s, id)).desired).toBe(1);
  });

  it("does not scale past its tenant's GPU quota, and says so", async () => {
    const s = await start();
    const token = await s.tenant("team", { gpuMilli: 500 });
    const spec = testJob("gpuweb", { command: ["sleep", "600"], gpu: "0.25", service: { replicas: 4 } });
    const id = (await s.call("POST", "/v1/jobs", spec, token)).body.service.id as string;
    const v = await until(
      "2 of 4",
      () => service(s, id, token),
      (x) => x.ready === 2,
    );
    expect(v.desired).toBe(4);
    expect(v.live).toBe(2);
    expect(v.reason).toContain("2 replica(s) wait: tenant team's GPU quota (0.5 GPU)");
    expect(await replicas(s, id, token)).toHaveLength(2);
  });

  it("a preempted replica comes back when capacity allows, without extra replicas", async () => {
    const s = await start();
    const spec = testJob("lowweb", {
      command: ["sleep", "600"],
      gpu: "0.5",
      priority: "low",
      service: { replicas: 2 },
    });
    const id = (await s.call("POST", "/v1/jobs", spec)).body.service.id as string;
    await until(
      "2 ready",
      () => service(s, id),
      (v) => v.ready === 2,
    );
    const [big] = await s.submit(testJob("big", { command: ["sleep", "1"], gpus: 1, priority: "high" }));
    await s.until(big!.id, (j) => j.state === "Running");
    expect(running(await replicas(s, id))).toHaveLength(0);
    await s.until(big!.id, (j) => j.state === "Succeeded");
    await until(
      "2 ready again",
      () => service(s, id),
      (v) => v.ready === 2,
    );
    expect(await replicas(s, id)).toHaveLength(2);
  });

  it("autoscales on a reported queue: 0 → 4 at queue 20 (target 5), back to 0 once idle", async () => {
    const s = await start("2xA100-80GB");
    const spec = testJob("render", {
      command: ["sleep", "600"],
      gpu: "0.25",
      service: {
        minReplicas: 0,
        maxReplicas: 4,
        autoscale: { metric: "queue", targetPerReplica: 5, cooldownSeconds: 1, idleSeconds: 1 },
      },
    });
    const id = (await s.call("POST", "/v1/jobs", spec)).body.service.id as string;
    expect((await service(s, id)).desired).toBe(0);
    await s.call("POST", `/v1/services/${id}/metrics`, { queue: 3 });
    await until(
      "1 ready",
      () => service(s, id),
      (v) => v.ready === 1,
    );
    const at = Date.now();
    await s.call("POST", `/v1/services/${id}/metrics`, { queue: 20 });
    const four = await until(
      "4 ready",
      () => service(s, id),
      (v) => v.ready === 4,
    );
    expect(four.autoscale?.value).toBe(20);
    expect(Date.now() - at).toBeLessThan(1000 + 5000);
    await s.call("POST", `/v1/services/${id}/metrics`, { queue: 0 });
    await until(
      "0 live",
      () => service(s, id),
      (v) => v.desired === 0 && v.live === 0,
    );
    expect(running(await replicas(s, id))).toHaveLength(0);
  });

  it("a rolling update keeps ≥ 2 of 3 replicas running and ends with 3 of the new spec", async () => {
    const s = await start();
    const spec = testJob("api", { command: ["sleep", "600"], service: { replicas: 3 } });
    const id = (await s.call("POST", "/v1/jobs", spec)).body.service.id as string;
    await until(
      "3 ready",
      () => service(s, id),
      (v) => v.ready === 3,
    );
    const up = await s.call("PUT", `/v1/services/${id}`, { ...spec, env: { VERSION: "2" } });
    expect(up.status).toBe(200);
    expect(up.body.service.generation).toBe(2);
    let least = 3;
    const done = await until(
      "3 of generation 2",
      async () => {
        const js = await replicas(s, id);
        least = Math.min(least, running(js).length);
        return js;
      },
      (js) =>
        running(js).length === 3 &&
        running(js).every((j) => j.spec.serviceGeneration === 2 && j.spec.env.VERSION === "2") &&
        js.every((j) => j.state === "Running" || j.state === "Cancelled"),
    );
    expect(least).toBeGreaterThanOrEqual(2);
    expect(done.filter((j) => j.state === "Cancelled")).toHaveLength(3);
  });

  it("keeps the last 20 ended replicas; older ones go with their archived logs", async () => {
    const s = await start();
    // Replicas that exit 0 at once are replaced at once (no crash backoff): they churn.
    const id = (
      await s.call(
        "POST",
        "/v1/jobs",
        testJob("churn", { command: ["sh", "-c", "echo frame"], service: { replicas: 1 } }),
      )
    ).body.service.id as string;
    const made = () => s.server.store.workloads.ownedJobs(id).at(-1)?.slot ?? -1;
    await until(
      "30 replicas made",
      async () => made(),
      (slot) => slot >= 30,
      30_000,
    );
    await s.call("POST", `/v1/services/${id}/stop`);
    await s.server.agent.settle();
    const owned = s.server.store.jobs.list({ owner: id });
    expect(owned.filter((j) => j.state !== "Running" && j.state !== "Pending").length).toBeLessThanOrEqual(
      21,
    );
    const kept = new Set(owned.map((j) => j.id));
    const logs = readdirSync(join(s.dir, "logs")).filter((f) => f.endsWith(".ndjson"));
    await until(
      "pruned replicas' logs removed",
      async () =>
        readdirSync(join(s.dir, "logs")).filter(
          (f) => f.endsWith(".ndjson") && !kept.has(f.replace(".ndjson", "")),
        ),
      (stale) => stale.length === 0,
    );
    expect(logs.length).toBeGreaterThan(0);
  });

  it("refuses what cannot be a service, naming the field", async () => {
    const s = await start();
    const bad = async (extra: Record<string, unknown>) =>
      (await s.call("POST", "/v1/jobs", testJob("bad", { command: ["true"], ...extra }))).body;
    expect((await bad({ replicas: 2, service: {} })).message).toContain("spec.replicas");
    expect((await bad({ array: { indexes: "0-1" }, service: {} })).message).toContain("spec.service");
    expect((await bad({ service: { minReplicas: 3, maxReplicas: 2 } })).message).toContain(
      "spec.service.minReplicas",
    );
    expect((await bad({ service: { maxSurge: 0, maxUnavailable: 0 } })).message).toContain(
      "spec.service.maxSurge",
    );
    expect((await bad({ service: { autoscale: { metric: "gpu", targetPerReplica: 1 } } })).code).toBe(
      "GP_INVALID_SPEC",
    );
    const queueAt = (extra: Record<string, unknown>) => ({
      service: { autoscale: { metric: "queue", targetPerReplica: 1, queuePath: "/q", ...extra } },
    });
    expect((await bad(queueAt({}))).message).toContain("needs service.port");
    expect((await bad(queueAt({ metric: "inflight" }))).message).toContain("give metric queue");
    expect((await bad(queueAt({ queuePath: "q" }))).message).toContain("spec.service.autoscale.queuePath");
    const port = await freePort();
    await s.call("POST", "/v1/jobs", testJob("one", { command: ["sleep", "60"], service: { port } }));
    const clash = await bad({ service: { port } });
    expect(clash.code).toBe("GP_PORT_IN_USE");
    expect((await s.call("POST", "/v1/services/one/scale", { replicas: -1 })).body.code).toBe(
      "GP_INVALID_ARGUMENT",
    );
    expect((await s.call("GET", "/v1/services/nope")).body.code).toBe("GP_SERVICE_NOT_FOUND");
  });
});
