import { afterEach, describe, expect, it } from "vitest";
import { ADMIN, type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * Issue 11, acceptance 5: on simulated telemetry (a container on a simulated GPU reports its GPU
 * memory in its log), a time-sliced share that goes over its GPU-memory budget gets an event and the
 * configured action — warn: an event once, the job runs on; kill: the job is stopped and fails —
 * visible in its events and in /metrics.
 */

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** 2 GiB, then after a second 12 GiB: over a 10 GiB budget. */
const GROWS = [
  "sh",
  "-c",
  "echo GPUPOOL_SIMULATED_GPU_MEMORY_MIB=2048; sleep 1; echo GPUPOOL_SIMULATED_GPU_MEMORY_MIB=12288; sleep 60",
];
const share = (name: string) => testJob(name, { command: GROWS, gpu: "0.25", gpuMemory: "10Gi" });

async function eventsOf(s: TestServer, id: string) {
  return (await s.call("GET", `/v1/jobs/${id}/events`)).body.events as { type: string; reason: string }[];
}

async function metrics(s: TestServer): Promise<string> {
  return (
    await s.server.app.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${ADMIN}` },
    })
  ).body;
}

describe("GPU memory of time-sliced shares (simulated telemetry)", () => {
  it("warn: one event when the share goes over its budget; it keeps running; /metrics shows use and action", async () => {
    t = await testServer({ overuse: { action: "warn", intervalMs: 100 } });
    const [job] = await t.submit(share("grows"));
    await t.until(job!.id, (j) => j.state === "Running");
    await new Promise((r) => setTimeout(r, 400));
    expect((await eventsOf(t, job!.id)).map((e) => e.type)).not.toContain("GpuMemoryOveruse");
    expect(await metrics(t)).toMatch(
      new RegExp(
        `gpupool_job_gpu_memory_used_bytes\\{job_id="${job!.id}",job_name="grows",tenant="admin",gpu="0",source="simulated"\\} ${2048 * 1024 * 1024}`,
      ),
    );
    for (const deadline = Date.now() + 10_000; ; ) {
      if ((await eventsOf(t, job!.id)).some((e) => e.type === "GpuMemoryOveruse")) break;
      if (Date.now() > deadline) throw new Error("no GpuMemoryOveruse event");
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    const over = (await eventsOf(t, job!.id)).filter((e) => e.type === "GpuMemoryOveruse");
    expect(over.map((e) => e.reason)).toEqual([
      "uses 12288 MiB of GPU memory, over its GPU memory limit (action warn: it keeps running), limit 10240 MiB (simulated telemetry)",
    ]);
    expect((await t.job(job!.id)).state).toBe("Running");
    const m = await metrics(t);
    expect(m).toMatch(
      new RegExp(
        `gpupool_job_gpu_memory_used_bytes\\{job_id="${job!.id}".*source="simulated"\\} ${12288 * 1024 * 1024}`,
      ),
    );
    expect(m).toMatch(/gpupool_gpu_memory_overuse_actions\{action="warned"\} 1/);
  });

  it("kill: the share over its budget is stopped and fails with the reason", async () => {
    t = await testServer({ overuse: { action: "kill", intervalMs: 100 } });
    const [job] = await t.submit(share("killed"));
    const end = await t.until(job!.id, (j) => j.state === "Failed", 15_000);
    expect(end.reason).toBe(
      "GPU memory 12288 MiB over its 10240 MiB limit (simulated telemetry): stopped (overuse action kill)",
    );
    expect((await eventsOf(t, job!.id)).find((e) => e.type === "GpuMemoryOveruse")?.reason).toContain(
      "stopped (action kill)",
    );
    expect(await metrics(t)).toMatch(/gpupool_gpu_memory_overuse_actions\{action="killed"\} [1-9]/);
  });
});
