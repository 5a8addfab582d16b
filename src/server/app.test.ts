import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, type TestServer, testJob, testServer } from "./test-support/server.js";

/** The API in-process over the fake engine: jobs, errors, idempotency, tenants and quotas. */

const spec = testJob;

describe("gpupool API (fake engine)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("serves health and the OpenAPI document without a token; everything else needs one", async () => {
    expect((await t.server.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    const doc = JSON.parse((await t.server.app.inject({ url: "/openapi.json" })).body);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.schemas.JobSpec.properties.image).toBeDefined();
    expect(Object.keys(doc.components.schemas.Quotas.properties)).toEqual(
      expect.arrayContaining([
        "gpuMilli",
        "gpuMemoryMiB",
        "cpuMilli",
        "memoryMiB",
        "guarantee",
        "gpuSeconds",
      ]),
    );
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops).filter((k) => k !== "parameters")) {
        const url = path.replace(/\{(\w+)\}/g, ":$1");
        expect(
          t.server.app.hasRoute({ method: method.toUpperCase() as "GET", url }),
          `${method} ${path}`,
        ).toBe(true);
      }
    }
    const m = await t.server.app.inject({ url: "/metrics" });
    expect(m.body).toMatch(/^gpupool_gpu_capacity_milli 1000$/m);
    expect(m.body).toMatch(/^gpupool_jobs\{state="Pending"\} \d+$/m);
    const r = await t.server.app.inject({ url: "/v1/jobs" });
    expect(r.statusCode).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({
      code: "GP_UNAUTHORIZED",
      statusCode: 401,
      error: "Unauthorized",
    });
  });

  it("/metrics counts scheduling cycles and bound jobs, and reports the event loop's lag", async () => {
    const metric = async (name: string) => {
      const body = (await t.server.app.inject({ url: "/metrics" })).body;
      const m = new RegExp(`^${name} (\\S+)$`, "m").exec(body);
      return m ? Number(m[1]) : undefined;
    };
    const cycles = (await metric("gpupool_scheduler_cycle_seconds_count")) ?? 0;
    const bound = (await metric("gpupool_scheduler_jobs_bound_total")) ?? 0;
    const [job] = await t.submit(spec("counted", { command: ["true"] }));
    await t.until(job!.id, (j) => j.state === "Succeeded");
    expect(await metric("gpupool_scheduler_cycle_seconds_count")).toBeGreaterThan(cycles);
    expect(await metric("gpupool_scheduler_jobs_bound_total")).toBeGreaterThanOrEqual(bound + 1);
    expect(await metric("gpupool_nodejs_eventloop_lag_p99_seconds")).toBeGreaterThanOrEqual(0);
  });

  it("runs a job to Succeeded with its logs, events and slice environment", async () => {
    const [job] = await t.submit(spec("hello", { gpu: 0.5, command: ["sh", "-c", "echo hi; env"] }));
    const done = await t.until(job!.id, (j) => j.state === "Succeeded");
    expect(done.exitCode).toBe(0);
    const logs = await t.logs(job!.id);
    expect(logs).toContain("hi");
    expect(logs).toContain(`GPUPOOL_SLICE_ID=${job!.id}`);
    expect(logs).toContain("GPUPOOL_SIMULATED=1");
    // The container goes once its logs are archived under the data dir; the logs stay readable.
    for (let i = 0; i < 100 && (await t.server.engine.inspect(done.containerId!)); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await t.server.engine.inspect(done.containerId!)).toBeUndefined();
    expect(await t.logs(job!.id)).toContain("hi");
    const events = (await t.call("GET", `/v1/jobs/${job!.id}/events`)).body.events as { to: string }[];
    expect(events.map((e) => e.to)).toEqual(
      expect.arrayContaining(["Pending", "Scheduled", "Starting", "Running", "Succeeded"]),
    );
  });

  it("rejects bad specs with 400 and a stable code naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ name: "x" }, "GP_INVALID_SPEC"],
      [spec("q", { gpu: "lots" }), "GP_INVALID_QUANTITY"],
      [spec("q", { gpu: 0.5, gpus: 1 }), "GP_INVALID_SPEC"],
      [spec("q", { priority: "urgent" }), "GP_UNKNOWN_PRIORITY_CLASS"],
      [spec("q", { gpuModels: ["Z9000"] }), "GP_UNKNOWN_GPU_MODEL"],
      [spec("q", { bogus: 1 }), "GP_INVALID_SPEC"],
      [spec("q", { env: { NVIDIA_VISIBLE_DEVICES: "all" } }), "GP_INVALID_SPEC"],
      [spec("q", { env: { CUDA_VISIBLE_DEVICES: "0,1" } }), "GP_INVALID_SPEC"],
      [spec("q", { isolation: "vm" }), "GP_RUNTIME_UNAVAILABLE"],
      [[1, 2], "GP_INVALID_SPEC"],
    ];
    for (const [body, code] of cases) {
      const r = await t.call("POST", "/v1/jobs", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code, JSON.stringify(body)).toBe(code);
    }
    const raw = await t.server.app.inject({
      method: "POST",
      url: "/v1/jobs",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(raw.statusCode).toBe(400);
    expect(JSON.parse(raw.body).code).toBe("GP_INVALID_ARGUMENT");
  });

  it("is idempotent by client request id; a different spec under the same id is a conflict", async () => {
    const body = spec("idem", { command: ["true"] });
    const a = await t.call("POST", "/v1/jobs", { ...body, clientRequestId: "req-1" });
    const b = await t.call("POST", "/v1/jobs", { ...body, clientRequestId: "req-1" });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body.jobs[0].id).toBe(a.body.jobs[0].id);
    const c = await t.call("POST", "/v1/jobs", { ...body, command: ["false"], clientRequestId: "req-1" });
    expect(c.status).toBe(409);
    expect(c.body.code).toBe("GP_IDEMPOTENCY_CONFLICT");
  });

  it("acceptance 5: tenant B cannot list, read logs of, stop or delete tenant A's jobs", async () => {
    const a = await t.tenant("team-a");
    const b = await t.tenant("team-b");
    const [job] = await t.submit(spec("a-job", { command: ["sh", "-c", "echo secret; sleep 30"] }), a);
    await t.until(job!.id, (j) => j.state === "Running", 10_000, a);
    const listB = await t.call("GET", "/v1/jobs", undefined, b);
    expect(listB.body.jobs.map((j: { id: string }) => j.id)).not.toContain(job!.id);
    for (const [method, url] of [
      ["GET", `/v1/jobs/${job!.id}`],
      ["GET", `/v1/jobs/${job!.id}/logs`],
      ["GET", `/v1/jobs/${job!.id}/events`],
      ["POST", `/v1/jobs/${job!.id}/stop`],
      ["DELETE", `/v1/jobs/${job!.id}`],
    ] as const) {
      const r = await t.call(method, url, method === "POST" ? {} : undefined, b);
      expect(r.status, `${method} ${url}`).toBe(404);
      expect(r.body.code).toBe("GP_JOB_NOT_FOUND");
    }
    expect((await t.job(job!.id, a)).state).toBe("Running");
    const admin = await t.call("POST", "/v1/tenants", { name: "team-c" }, b);
    expect([admin.status, admin.body.code]).toEqual([403, "GP_FORBIDDEN"]);
    const stopped = await t.call("POST", `/v1/jobs/${job!.id}/stop`, {}, a);
    expect(stopped.body.job.state).toBe("Cancelled");
  });

  it("acceptance 5: over-quota jobs wait with that reason", async () => {
    const q = await t.tenant("small", { gpuMilli: 250 });
    const [first] = await t.submit(spec("q1", { gpu: 0.25, command: ["sleep", "30"] }), q);
    await t.until(first!.id, (j) => j.state === "Running", 10_000, q);
    const [second] = await t.submit(spec("q2", { gpu: 0.25, command: ["true"] }), q);
    const waiting = await t.until(
      second!.id,
      (j) => j.state === "Pending" && (j.reason ?? "").includes("over quota"),
      10_000,
      q,
    );
    expect(waiting.reason).toMatch(/over quota: queue small limit gpu 250m/);
    await t.call("POST", `/v1/jobs/${first!.id}/stop`, {}, q);
    await t.until(second!.id, (j) => j.state === "Succeeded", 10_000, q);
  });

  it("quotas: active-job cap refuses with 429, a spent GPU-second budget makes GPU jobs wait, guarantees must fit limits", async () => {
    const capped = await t.tenant("capped", { activeJobs: 1 });
    await t.submit(spec("c1", { command: ["sleep", "30"], clientRequestId: "c1" }), capped);
    const over = await t.call("POST", "/v1/jobs", spec("c2", { command: ["true"] }), capped);
    expect([over.status, over.body.code]).toEqual([429, "GP_QUOTA_EXCEEDED"]);
    // A retry of the accepted submission is still answered (idempotency beats the cap).
    const again = await t.call(
      "POST",
      "/v1/jobs",
      spec("c1", { command: ["sleep", "30"], clientRequestId: "c1" }),
      capped,
    );
    expect(again.status).toBe(200);

    const broke = await t.tenant("broke", { gpuSeconds: 0 });
    const [gpuJob] = await t.submit(spec("g", { gpu: 0.25, command: ["true"] }), broke);
    const [cpuJob] = await t.submit(spec("c", { command: ["true"] }), broke);
    await t.until(cpuJob!.id, (j) => j.state === "Succeeded", 10_000, broke);
    const waiting = await t.until(
      gpuJob!.id,
      (j) => j.state === "Pending" && (j.reason ?? "").includes("GPU-seconds"),
      10_000,
      broke,
    );
    expect(waiting.reason).toBe("over quota: queue broke used 0.0 of its 0 GPU-seconds");

    const bad = await t.call("POST", "/v1/tenants", {
      name: "greedy",
      quotas: { gpuMilli: 500, guarantee: { gpuMilli: 1000 } },
    });
    expect([bad.status, bad.body.code]).toEqual([400, "GP_INVALID_SPEC"]);
    expect(
      (await t.call("GET", "/v1/tenants")).body.tenants.map((x: { name: string }) => x.name),
    ).not.toContain("greedy");
    const ok = await t.call("PUT", "/v1/tenants/broke/quotas", {
      gpuSeconds: 1000,
      guarantee: { gpuMilli: 250 },
      weight: 2,
    });
    expect(ok.status).toBe(200);
    await t.until(gpuJob!.id, (j) => j.state === "Succeeded", 10_000, broke);
  });
});
