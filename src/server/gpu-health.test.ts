import { appendFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { GpuView } from "../api/schemas.js";
import { type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * Issue 14, acceptance 5: a fake XID on GPU 1 (a line in the watched kernel log) marks it unhealthy
 * within one sampling period: new work goes to GPU 0 and none to GPU 1, the job on GPU 1 gets an
 * event, /v1/gpus, /v1/nodes and /metrics show it; after the recovery period it takes work again.
 */

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const XID_79 = (bus: string) =>
  `[ 8123.456789] NVRM: Xid (PCI:0000:${bus}:00): 79, pid=4242, name=python, GPU has fallen off the bus.\n`;

describe("GPU health from XIDs", () => {
  it("a fatal XID on GPU 1: unhealthy within one period, no new work there, an event for its job, healthy again later", async () => {
    const period = 200;
    const log = join(await mkdtemp(join(tmpdir(), "gp-kmsg-")), "kern.log");
    writeFileSync(log, "[ 1.000000] NVRM: Xid (PCI:0000:02:00): 79, an old one, before gpupool started\n");
    t = await testServer({
      simulate: "2xA100-80GB",
      gpuHealth: { log, intervalMs: period, recoverMs: 3000 },
    });
    const gpus = async () => (await t!.call("GET", "/v1/gpus")).body.gpus as GpuView[];
    expect((await gpus()).map((g) => g.unhealthy)).toEqual([null, null]);

    const [a] = await t.submit(testJob("on-0", { command: ["sleep", "60"], gpus: 1 }));
    const [b] = await t.submit(testJob("on-1", { command: ["sleep", "60"], gpus: 1 }));
    const onB = await t.until(b!.id, (j) => j.state === "Running");
    expect(onB.gpus.map((g) => g.index)).toEqual([1]);
    await t.until(a!.id, (j) => j.state === "Running");

    const at = Date.now();
    appendFileSync(log, XID_79("02")); // simulated GPU 1 is at PCI 0000:02:00
    let seen = 0;
    for (;;) {
      const g = await gpus();
      if (g[1]!.unhealthy) {
        seen = Date.now() - at;
        expect(g[1]!.unhealthy).toBe("XID 79: pid=4242, name=python, GPU has fallen off the bus.");
        expect(g[0]!.unhealthy).toBeNull();
        break;
      }
      if (Date.now() - at > 5000) throw new Error("GPU 1 was not marked unhealthy");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toBeLessThan(2 * period + 200);
    const events = (await t.call("GET", `/v1/jobs/${b!.id}/events`)).body.events as {
      type: string;
      reason: string;
    }[];
    expect(events.find((e) => e.type === "GpuUnhealthy")?.reason).toBe(
      "GPU 1 is unhealthy, it takes no new work: XID 79: pid=4242, name=python, GPU has fallen off the bus.",
    );
    expect(
      (await t.call("GET", `/v1/jobs/${a!.id}/events`)).body.events.map((e: { type: string }) => e.type),
    ).not.toContain("GpuUnhealthy");
    expect((await t.call("GET", "/v1/nodes")).body.nodes[0].unhealthyGpus).toBe(1);
    const metrics = (await t.server.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(metrics).toMatch(/gpupool_gpu_healthy\{gpu="1",model="A100-80GB",simulated="true"\} 0/);
    expect(metrics).toMatch(/gpupool_gpu_healthy\{gpu="0",model="A100-80GB",simulated="true"\} 1/);

    // Both GPUs free up; a new whole-GPU job goes to GPU 0, a second one waits: GPU 1 takes nothing.
    await t.call("POST", `/v1/jobs/${a!.id}/stop`, {});
    await t.call("POST", `/v1/jobs/${b!.id}/stop`, {});
    await t.until(b!.id, (j) => j.state === "Cancelled");
    const [c] = await t.submit(testJob("next", { command: ["sleep", "60"], gpus: 1 }));
    const [d] = await t.submit(testJob("waits", { command: ["sleep", "60"], gpus: 1 }));
    expect((await t.until(c!.id, (j) => j.state === "Running")).gpus.map((g) => g.index)).toEqual([0]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await t.job(d!.id)).state).toBe("Pending");

    // No fatal XID for the recovery period: GPU 1 is healthy again and takes the waiting job.
    const ran = await t.until(d!.id, (j) => j.state === "Running", 10_000);
    expect(ran.gpus.map((g) => g.index)).toEqual([1]);
    expect((await gpus())[1]!.unhealthy).toBeNull();
  }, 30_000);

  it("an application's XID is an event for the job on that GPU, and the GPU stays healthy", async () => {
    const log = join(await mkdtemp(join(tmpdir(), "gp-kmsg-")), "kern.log");
    t = await testServer({ simulate: "1xA100-80GB", gpuHealth: { log, intervalMs: 100 } });
    const [a] = await t.submit(testJob("app", { command: ["sleep", "60"], gpu: "0.5" }));
    await t.until(a!.id, (j) => j.state === "Running");
    appendFileSync(log, "NVRM: Xid (PCI:0000:01:00): 31, pid=77, Ch 00000008, intr 10000000. MMU Fault\n");
    for (const deadline = Date.now() + 5000; ; ) {
      const types = (await t.call("GET", `/v1/jobs/${a!.id}/events`)).body.events.map(
        (e: { type: string }) => e.type,
      );
      if (types.includes("GpuXid")) break;
      if (Date.now() > deadline) throw new Error(`no GpuXid event: ${types}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(((await t.call("GET", "/v1/gpus")).body.gpus as GpuView[])[0]!.unhealthy).toBeNull();
  });
});
