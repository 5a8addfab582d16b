import { afterEach, describe, expect, it } from "vitest";
import { AgentWorld } from "./test-support/agent-world.js";

/**
 * A gang is one thing, as torchrun treats its workers: when a member fails, the others are stopped
 * and the gang fails — or, under restartPolicy OnFailure, all restart together.
 */

let w: AgentWorld;
afterEach(async () => {
  await w?.close();
});

/** Three members on three GPUs; rank 1 runs `failing`, the others run until stopped (TERM → 143). */
function gangOf3(failing: string[], extra: Record<string, unknown> = {}) {
  const long = ["sh", "-c", "trap 'exit 143' TERM; sleep 60 & wait"];
  return [0, 1, 2].map((rank) =>
    w.submit(
      `train-${rank}`,
      { gpus: 1, replicas: 3, command: rank === 1 ? failing : long, ...extra },
      {
        gang: "g-train",
        rank,
      },
    ),
  );
}

describe("a gang member's failure", () => {
  it("stops ranks 0 and 2 and fails the whole gang", async () => {
    w = new AgentWorld("3xA100-80GB");
    await w.agent();
    const [r0, r1, r2] = gangOf3(["sh", "-c", "sleep 0.3; exit 1"]);
    for (const m of [r0!, r1!, r2!]) await w.until(m.id, (j) => j.state === "Failed");
    expect(w.store.jobs.require(r1!.id)).toMatchObject({ exitCode: 1, reason: "exit code 1" });
    for (const m of [r0!, r2!]) {
      const j = w.store.jobs.require(m.id);
      expect(j).toMatchObject({ state: "Failed", exitCode: 143, attempts: 1 });
      expect(j.reason).toBe("gang member train-1 failed (exit code 1)");
    }
  });

  it("under OnFailure, restarts every member together, each as a new attempt", async () => {
    w = new AgentWorld("3xA100-80GB");
    await w.agent();
    const members = gangOf3(["sh", "-c", "sleep 0.3; exit 1"], {
      restartPolicy: "OnFailure",
      backoffLimit: 1,
      backoffSeconds: 0,
    });
    for (const m of members) await w.until(m.id, (j) => j.state === "Failed" && j.attempts === 2, 15_000);
    for (const m of members) {
      // Running twice, the second time together again: each member's story has two runs.
      expect(w.story(m.id).filter((s) => s === "Starting→Running")).toHaveLength(2);
    }
    // rank 1 is out of retries after its second failure; the others are stopped for it again.
    expect(w.store.jobs.require(members[0]!.id).reason).toBe("gang member train-1 failed (exit code 1)");
  }, 20_000);
});

describe("a user's stop of one gang member", () => {
  it("cancels the whole gang while it runs", async () => {
    w = new AgentWorld("3xA100-80GB");
    const agent = await w.agent();
    const members = gangOf3(["sh", "-c", "trap 'exit 143' TERM; sleep 60 & wait"]);
    for (const m of members) await w.until(m.id, (j) => j.state === "Running");
    await agent.cancel(members[1]!.id, "stopped by t");
    for (const m of members) await w.until(m.id, (j) => j.state === "Cancelled");
    expect(w.store.jobs.require(members[0]!.id).reason).toBe("stopped by t (gang g-train)");
  });

  it("cancels a pending gang's other members too, instead of leaving them waiting", async () => {
    w = new AgentWorld("1xA100-80GB"); // three whole GPUs asked, one here: the gang waits
    const agent = await w.agent();
    const members = gangOf3(["true"]);
    await new Promise((r) => setTimeout(r, 200)); // a few scheduling cycles: it stays Pending
    expect(w.store.jobs.require(members[0]!.id).state).toBe("Pending");
    await agent.cancel(members[2]!.id, "stopped by t");
    for (const m of members) await w.until(m.id, (j) => j.state === "Cancelled");
    expect(w.store.jobs.require(members[0]!.id).reason).toMatch(/^gang g-train cannot run whole again/);
  });
});
