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

describe("a gang member's retry under OnFailure", () => {
  it("waits until its siblings, stopped for it, are gone: the gang restarts whole", async () => {
    w = new AgentWorld("3xA100-80GB");
    await w.agent();
    // Ranks 0 and 2 ignore SIGTERM: their stop lasts the whole 1 s grace, then SIGKILL.
    const stubborn = ["sh", "-c", "trap '' TERM; sleep 60"];
    const spec = {
      gpus: 1,
      replicas: 3,
      restartPolicy: "OnFailure",
      backoffLimit: 1,
      backoffSeconds: 0,
      stopGraceSeconds: 1,
    };
    const members = [0, 1, 2].map((rank) =>
      w.submit(
        `train-${rank}`,
        { ...spec, command: rank === 1 ? ["sh", "-c", "sleep 0.2; exit 1"] : stubborn },
        { gang: "g-train", rank },
      ),
    );
    await w.until(members[1]!.id, (j) => j.attempts === 2, 15_000);
    // rank 1's second attempt began only after both siblings' first attempts had ended
    const at = (id: string, pred: (e: { from: string | null; to: string | null }) => boolean) =>
      w.store.jobs
        .events(id)
        .filter(pred)
        .map((e) => e.seq);
    const secondStart = at(members[1]!.id, (e) => e.to === "Starting")[1]!;
    for (const m of [members[0]!, members[2]!]) {
      const firstEnd = at(m.id, (e) => e.from === "Running" && e.to === "Failed")[0];
      expect(firstEnd).toBeDefined();
      expect(firstEnd!).toBeLessThan(secondStart);
    }
    expect(w.store.jobs.events(members[1]!.id).map((e) => e.reason)).toContain(
      "retry 1/1 in 0s (restart policy OnFailure), once its gang has stopped",
    );
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
