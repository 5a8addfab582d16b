import { afterEach, describe, expect, it } from "vitest";
import { AgentWorld, crashAt } from "./test-support/agent-world.js";

/**
 * The lifecycle is exactly-once, case by case, on the fake engine: (a)–(e) of the cluster-seam issue.
 * Crashes are cut at the job runner's named fault points (no sleeps-and-hope): the crashed agent is
 * closed (it does nothing more, like a killed process) and a new one recovers over the same store
 * and engine, whose containers kept running.
 */

let w: AgentWorld;
afterEach(async () => {
  await w?.close();
});

describe("exactly-once lifecycle", () => {
  it("(a) a job that exits 0 in its preemption grace period ends Succeeded once, never requeued", async () => {
    w = new AgentWorld("1xA100-80GB");
    await w.agent();
    // Finishes its work when asked to stop: exit 0 from the TERM trap.
    const low = w.submit("low", {
      gpus: 1,
      priority: "low",
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 30 & wait"],
      stopGraceSeconds: 5,
    });
    await w.until(low.id, (j) => j.state === "Running");
    const high = w.submit("high", { gpus: 1, priority: "high", command: ["true"] });
    await w.until(high.id, (j) => j.state === "Succeeded");
    const done = w.store.jobs.require(low.id);
    expect(done).toMatchObject({ state: "Succeeded", attempts: 1, exitCode: 0 });
    expect(w.story(low.id)).toEqual([
      "Pending→Scheduled",
      "Scheduled→Starting",
      "Starting→Running",
      "Running→Succeeded",
    ]);
  });

  it("(b) a server killed during a graceful stop finishes the stop after restart: Cancelled, never run again", async () => {
    w = new AgentWorld();
    let crashed = false;
    const first = await w.agent(crashAt("stop:signalled", () => (crashed = true)));
    // Ignores SIGTERM (PID 1 without a trap): the stop takes its whole 2 s grace period.
    const job = w.submit("cancel-me", { gpus: 1, command: ["sleep", "30"], stopGraceSeconds: 2 });
    const running = await w.until(job.id, (j) => j.state === "Running");
    void first.cancel(job.id, "stopped by t");
    await w.until(job.id, () => crashed);
    await first.close(); // killed mid-stop; the container is still in its grace period
    expect((await w.engine.inspect(running.containerId!))?.status).toBe("running");
    await w.agent();
    const done = await w.until(job.id, (j) => j.state !== "Running", 10_000);
    expect(done).toMatchObject({ state: "Cancelled", reason: "stopped by t", attempts: 1 });
    expect(w.story(job.id).filter((s) => s.endsWith("→Running"))).toHaveLength(1);
  });

  it("(b) a cancel recorded before the crash, with a container that never started: Cancelled, not requeued", async () => {
    w = new AgentWorld();
    const first = await w.agent(crashAt("launch:created"));
    const job = w.submit("never-ran", { gpus: 1, command: ["true"] });
    await w.until(job.id, (j) => j.state === "Starting" && w.store.jobs.events(j.id).length >= 3);
    await first.close();
    w.store.jobs.note(job.id, "stopping", "cancel: stopped by t");
    await w.agent();
    const done = await w.until(job.id, (j) => j.state === "Cancelled");
    expect(done.attempts).toBe(1);
    expect(await w.engine.list({})).toEqual([]);
  });

  it("(c) a gang member that succeeds while its sibling is requeued never leaves the sibling waiting", async () => {
    w = new AgentWorld();
    await w.agent();
    const member = (rank: number, command: string) =>
      w.submit(
        `pair-${rank}`,
        { gpus: 1, replicas: 2, priority: "low", stopGraceSeconds: 5, command: ["sh", "-c", command] },
        { gang: "g-pair", rank },
      );
    // Rank 0 finishes its work on SIGTERM (exit 0); rank 1 wants to resume after preemption (exit 143).
    const r0 = member(0, "trap 'exit 0' TERM; sleep 30 & wait");
    const r1 = member(1, "trap 'exit 143' TERM; sleep 30 & wait");
    for (const m of [r0, r1]) await w.until(m.id, (j) => j.state === "Running");
    const vip = w.submit("vip", { gpus: 2, priority: "high", command: ["true"] });
    await w.until(vip.id, (j) => j.state === "Succeeded");
    const a = await w.until(r0.id, (j) => j.state === "Succeeded");
    const b = await w.until(r1.id, (j) => j.state === "Failed");
    expect(a.attempts).toBe(1);
    expect(b.reason).toBe("gang g-pair cannot run whole again: member pair-0 ended Succeeded");
  });

  it("(c) a gang member's failure restarts the gang together under OnFailure; once it fails for good, nothing waits", async () => {
    w = new AgentWorld();
    await w.agent();
    const opts = {
      gpus: 1,
      replicas: 2,
      restartPolicy: "OnFailure",
      backoffLimit: 1,
      backoffSeconds: 0,
      stopGraceSeconds: 1,
    };
    const long = ["sh", "-c", "trap 'exit 143' TERM; sleep 30 & wait"];
    const r0 = w.submit("retry-0", { ...opts, command: long }, { gang: "g-retry", rank: 0 });
    const r1 = w.submit(
      "retry-1",
      { ...opts, command: ["sh", "-c", "exit 1"] },
      { gang: "g-retry", rank: 1 },
    );
    const failed = await w.until(r1.id, (j) => j.state === "Failed" && j.attempts === 2);
    expect(failed.reason).toBe("exit code 1");
    const sibling = await w.until(r0.id, (j) => j.state === "Failed" && j.attempts === 2);
    expect(sibling.reason).toBe("gang member retry-1 failed (exit code 1)");
    expect(w.store.jobs.list({ gang: "g-retry", states: ["Pending", "Running"] })).toEqual([]);
  });

  it("(d) a stale watcher of an older attempt cannot finish the newer one", async () => {
    w = new AgentWorld("1xA100-80GB");
    const agent = await w.agent();
    const job = w.submit("requeued", {
      gpus: 1,
      priority: "low",
      command: ["sleep", "30"],
      stopGraceSeconds: 0,
    });
    const first = await w.until(job.id, (j) => j.state === "Running" && j.attempts === 1);
    w.submit("vip", { gpus: 1, priority: "high", command: ["true"] }); // preempts it; it runs again after
    const second = await w.until(job.id, (j) => j.state === "Running" && j.attempts === 2);
    // The watcher of attempt 1 reports its exit once more (late, out of order): nothing changes.
    await agent.runner.finish(first, first.containerId!, 0);
    expect(w.store.jobs.require(job.id)).toMatchObject({
      state: "Running",
      attempts: 2,
      containerId: second.containerId,
    });
    await agent.cancel(job.id, "done");
  });

  it("(e) an adopted job keeps its original start time for its timeout and its metering", async () => {
    w = new AgentWorld();
    const first = await w.agent();
    const job = w.submit("timed", {
      gpu: 0.5,
      command: ["sleep", "30"],
      timeoutSeconds: 1.5,
      stopGraceSeconds: 0,
    });
    const running = await w.until(job.id, (j) => j.state === "Running");
    await first.close(); // gpupool dies with the job running
    await new Promise((r) => setTimeout(r, 700));
    await w.agent(); // adopted 0.7 s later
    const done = await w.until(job.id, (j) => j.state === "Failed", 5000);
    expect(done.reason).toBe("timed out after 1.5s");
    expect(done.startedAt).toBe(running.startedAt);
    // Timed out 1.5 s after the real start, not after the adoption (which would be ≥ 2.2 s).
    expect(done.finishedAt! - running.startedAt!).toBeLessThan(2100);
    // Billed from the original start: 0.5 GPU × ~1.5 s, the time before the restart included.
    const ms = w.store.usage.ofJob(job.id).gpuMilliMs / 500;
    expect(ms).toBeGreaterThan(1400);
    expect(ms).toBeLessThan(2100);
  });
});
