import { afterEach, describe, expect, it } from "vitest";
import { AgentWorld } from "./test-support/agent-world.js";

/**
 * No stalls, through the node agent on the fake engine (real time): a stop in its grace period
 * holds only its own capacity, and a preemptor is bound as soon as its victim is gone.
 */

let w: AgentWorld;
afterEach(async () => {
  await w?.close();
});

describe("no stalls", () => {
  it("job A stopped with a 10 s grace period; job B submitted 100 ms later onto the other GPU is Running within 1 s", async () => {
    w = new AgentWorld("2xA100-80GB");
    const agent = await w.agent();
    // PID 1 without a TERM trap ignores SIGTERM: A's stop takes its whole 10 s grace period.
    const a = w.submit("a", { gpus: 1, command: ["sleep", "60"], stopGraceSeconds: 10 });
    const running = await w.until(a.id, (j) => j.state === "Running");
    const stopping = agent.cancel(a.id, "stopped by t");
    await new Promise((r) => setTimeout(r, 100));
    const submitted = Date.now();
    const b = w.submit("b", { gpus: 1, command: ["sleep", "60"] });
    const bRunning = await w.until(b.id, (j) => j.state === "Running", 5000);
    const took = w.enteredAt(b.id, "Running")! - submitted;
    console.log(`B Running ${took} ms after its submission, while A is in its stop grace period`);
    expect(took).toBeLessThan(1000);
    expect(w.store.jobs.require(a.id).state).toBe("Running"); // still in its grace period
    expect(bRunning.allocation!.gpus[0]!.index).not.toBe(running.allocation!.gpus[0]!.index);
    // End the test without waiting out the grace period: A's container goes, its stop completes.
    await w.engine.remove(running.containerId!);
    await stopping;
    await agent.cancel(b.id, "done");
  });

  it("a preemptor is bound within 1 s of its last victim's exit, and not before", async () => {
    w = new AgentWorld("1xA100-80GB");
    await w.agent();
    // The victim ignores SIGTERM: it exits at SIGKILL, when its 2 s grace period ends.
    const low = w.submit("low", { gpus: 1, priority: "low", command: ["sleep", "60"], stopGraceSeconds: 2 });
    await w.until(low.id, (j) => j.state === "Running");
    const high = w.submit("high", { gpus: 1, priority: "high", command: ["true"] });
    await w.until(high.id, (j) => j.state === "Succeeded", 10_000);
    const victimGone = w.enteredAt(low.id, "Preempted")!;
    const bound = w.enteredAt(high.id, "Scheduled")!;
    console.log(`preemptor bound ${bound - victimGone} ms after its victim's exit`);
    expect(bound).toBeGreaterThanOrEqual(victimGone);
    expect(bound - victimGone).toBeLessThan(1000);
  });
});
