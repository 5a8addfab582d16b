import { afterEach, describe, expect, it } from "vitest";
import { stopIntent } from "./record-end.js";
import { AgentWorld, crashAt } from "./test-support/agent-world.js";

/** A stop with its own grace period (`gpupool stop -t N`), also across a restart mid-stop. */

let w: AgentWorld;
afterEach(async () => {
  await w?.close();
});

describe("stop -t: a grace period for one stop", () => {
  it("grace 0 kills a job that ignores SIGTERM at once, instead of after its 60 s stopGraceSeconds", async () => {
    w = new AgentWorld();
    const agent = await w.agent();
    // PID 1 without a trap ignores SIGTERM: only SIGKILL ends it.
    const job = w.submit("stubborn", { gpus: 1, command: ["sleep", "300"], stopGraceSeconds: 60 });
    await w.until(job.id, (j) => j.state === "Running");
    await agent.cancel(job.id, "stopped by t", 0);
    expect(w.store.jobs.require(job.id)).toMatchObject({ state: "Cancelled", exitCode: 137 });
  });

  it("is recorded with the stop, so a restart mid-stop carries on with the same grace", async () => {
    w = new AgentWorld();
    let crashed = false;
    const first = await w.agent(crashAt("stop:signalled", () => (crashed = true)));
    const job = w.submit("stubborn", { gpus: 1, command: ["sleep", "300"], stopGraceSeconds: 60 });
    await w.until(job.id, (j) => j.state === "Running");
    void first.cancel(job.id, "stopped by t", 1);
    await w.until(job.id, () => crashed);
    await first.close();
    expect(stopIntent(w.store, job.id)).toEqual({ kind: "cancel", reason: "stopped by t", graceSeconds: 1 });
    await w.agent();
    // Within the 1 s grace (plus scheduling slack), far from the job's own 60 s.
    const done = await w.until(job.id, (j) => j.state === "Cancelled", 10_000);
    expect(done.exitCode).toBe(137);
  });

  it("close() during a long graceful stop returns at once; the next start finishes the stop", async () => {
    w = new AgentWorld();
    const first = await w.agent();
    const job = w.submit("stubborn", { gpus: 1, command: ["sleep", "300"], stopGraceSeconds: 3600 });
    const running = await w.until(job.id, (j) => j.state === "Running");
    const cancelled = first.cancel(job.id, "stopped by t", 2);
    await new Promise((r) => setTimeout(r, 50)); // the stop is in flight: SIGTERM sent, grace running
    const t0 = Date.now();
    await first.close();
    await cancelled; // a caller waiting for the stop is answered too
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(w.store.jobs.require(job.id).state).toBe("Running");
    expect((await w.engine.inspect(running.containerId!))?.status).toBe("running");
    await w.agent();
    const done = await w.until(job.id, (j) => j.state === "Cancelled", 10_000);
    expect(done).toMatchObject({ reason: "stopped by t", exitCode: 137, attempts: 1 });
  });
});
