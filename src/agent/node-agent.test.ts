import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, testJob, testServer } from "../server/test-support/server.js";

/** The node agent's job lifecycle over the fake engine: restart policy, timeouts, metering, requeue on restart. */

const spec = testJob;

describe("node agent through the API (fake engine)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer({ simulate: "2xA100-80GB" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("restartPolicy OnFailure retries with backoff up to backoffLimit, then stays Failed", async () => {
    const [job] = await t.submit(
      spec("flaky", {
        command: ["sh", "-c", "exit 4"],
        restartPolicy: "OnFailure",
        backoffLimit: 2,
        backoffSeconds: 0.1,
      }),
    );
    const done = await t.until(job!.id, (j) => j.state === "Failed" && j.attempts === 3, 15_000);
    expect(done.exitCode).toBe(4);
    await new Promise((r) => setTimeout(r, 500));
    const after = await t.job(job!.id);
    expect([after.state, after.attempts]).toEqual(["Failed", 3]);
    const events = (await t.call("GET", `/v1/jobs/${job!.id}/events`)).body.events as {
      to: string;
      reason: string;
    }[];
    expect(events.filter((e) => e.to === "Pending" && /^retry/.test(e.reason ?? ""))).toHaveLength(2);
  });

  it("timeoutSeconds stops the job and marks it Failed", async () => {
    const [job] = await t.submit(spec("slow", { command: ["sleep", "30"], timeoutSeconds: 0.5 }));
    const done = await t.until(job!.id, (j) => j.state === "Failed", 10_000);
    expect(done.reason).toBe("timed out after 0.5s");
  });

  it("meters GPU-seconds as share × time, per job and per tenant", async () => {
    const [job] = await t.submit(spec("metered", { gpu: 0.5, command: ["sleep", "1"] }));
    await t.until(job!.id, (j) => j.state === "Succeeded", 10_000);
    const usage = (await t.call("GET", "/v1/usage")).body as {
      jobs: { job: string; gpuSeconds: number }[];
      tenants: { tenant: string; gpuSeconds: number }[];
    };
    const mine = usage.jobs.find((u) => u.job === job!.id)!;
    expect(mine.gpuSeconds).toBeGreaterThan(0.45);
    expect(mine.gpuSeconds).toBeLessThan(1);
    expect(usage.tenants.find((u) => u.tenant === "admin")!.gpuSeconds).toBeGreaterThanOrEqual(
      mine.gpuSeconds,
    );
  });

  it("a gang member's preemption takes the whole gang down and both are requeued", async () => {
    const gang = await t.submit(
      spec("pair", { gpus: 1, replicas: 2, priority: "low", command: ["sh", "-c", "sleep 2"] }),
    );
    for (const m of gang) await t.until(m.id, (j) => j.state === "Running");
    const [vip] = await t.submit(spec("vip", { gpus: 1, priority: "high", command: ["true"] }));
    await t.until(vip!.id, (j) => j.state === "Succeeded", 15_000);
    for (const m of gang) {
      const done = await t.until(m.id, (j) => j.state === "Succeeded", 20_000);
      expect(done.attempts).toBe(2);
    }
  });
});
