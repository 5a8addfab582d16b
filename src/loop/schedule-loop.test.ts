import { afterEach, describe, expect, it } from "vitest";
import type { NodeSpec } from "../core/node.js";
import type { Workload } from "../core/workload.js";
import { policyProfile } from "../scheduler/policies.js";
import { quietLogger } from "./logger.js";
import { ScheduleLoop } from "./schedule-loop.js";
import { FakeClock } from "./test-support/fake-clock.js";
import { MemoryCluster } from "./test-support/memory-cluster.js";

/**
 * The scheduling loop over an in-memory cluster port and a fake clock: no store, engine or server.
 * Times below are the fake clock's; "within 1 s" means the loop bound it in a cycle at most 1 s of
 * clock time after the event.
 */

const gpuNode = (name: string, gpus: number): NodeSpec => ({
  name,
  cpuMilli: 16_000,
  memoryMiB: 131_072,
  gpus: Array.from({ length: gpus }, (_, index) => ({
    index,
    uuid: `GPU-${name}-${index}`,
    model: "A100-80GB",
    memoryMiB: 81_920,
  })),
});

const job = (id: string, extra: Partial<Workload> = {}): Omit<Workload, "seq"> => ({
  id,
  cpuMilli: 100,
  memoryMiB: 64,
  gpu: { kind: "whole", count: 1 },
  queue: "q",
  priority: 0,
  ...extra,
});

let loop: ScheduleLoop | undefined;
afterEach(async () => {
  await loop?.close();
  loop = undefined;
});

function world(nodes: NodeSpec[]) {
  const clock = new FakeClock();
  const cluster = new MemoryCluster(nodes, clock);
  loop = new ScheduleLoop({
    port: cluster,
    profile: policyProfile("default"),
    clock,
    log: { ...quietLogger, error: (o: object, m?: string) => console.error(m, o) },
    minCycleGapMs: 50,
    resyncMs: 1000,
  });
  const boundAt = (id: string) => cluster.binds.find((b) => b.id === id)?.at;
  return { clock, cluster, loop, boundAt };
}

describe("schedule loop", () => {
  it("binds submitted work on the next cycle, following the port's changes", async () => {
    const w = world([gpuNode("n1", 2)]);
    w.loop.start();
    w.cluster.submit(job("a"));
    w.cluster.submit(job("b"));
    await w.clock.advance(100);
    expect(w.cluster.binds.map((b) => b.id).sort()).toEqual(["a", "b"]);
    expect(new Set(w.cluster.binds.map((b) => b.alloc.gpus[0]!.index))).toEqual(new Set([0, 1]));
    w.cluster.submit(job("c"));
    await w.clock.advance(100);
    expect(w.cluster.reasons.get("c")).toMatch(/gpu/i);
    w.cluster.exit("a");
    await w.clock.advance(100);
    expect(w.boundAt("c")).toBeDefined();
  });

  it("a stop in flight blocks only its own capacity: work for the other free GPU binds within 1 s", async () => {
    const w = world([gpuNode("n1", 2)]);
    w.loop.start();
    w.cluster.submit(job("a"));
    await w.clock.advance(100);
    // a is being stopped with a 10 s grace period: it keeps its GPU until its container is gone.
    w.cluster.evict({ workloadId: "a", reason: "preempt", by: "user stop" });
    await w.clock.advance(100);
    const submitted = w.clock.now();
    w.cluster.submit(job("b"));
    await w.clock.advance(1000);
    expect(w.boundAt("b")).toBeDefined();
    expect(w.boundAt("b")! - submitted).toBeLessThan(1000);
    expect(w.cluster.binds.find((x) => x.id === "b")!.alloc.gpus[0]!.index).not.toBe(
      w.cluster.binds.find((x) => x.id === "a")!.alloc.gpus[0]!.index,
    );
  });

  it("a preemptor waits for its victim's grace period, then binds within 1 s of the victim's exit", async () => {
    const w = world([gpuNode("n1", 1)]);
    w.loop.start();
    w.cluster.submit(job("low", { priority: 0 }));
    await w.clock.advance(100);
    w.cluster.submit(job("high", { priority: 100 }));
    await w.clock.advance(100);
    expect(w.cluster.evictions.map((e) => e.eviction.workloadId)).toEqual(["low"]);
    await w.clock.advance(10_000); // the victim's grace period: many cycles, no second eviction, no bind
    expect(w.cluster.evictions).toHaveLength(1);
    expect(w.boundAt("high")).toBeUndefined();
    expect(w.cluster.reasons.get("high")).toMatch(/waiting for preempted jobs/);
    const exited = w.clock.now();
    w.cluster.exit("low");
    await w.clock.advance(1000);
    expect(w.boundAt("high")! - exited).toBeLessThan(1000);
  });

  it("capacity freed by one victim stays held for the preemptor until all its victims are gone", async () => {
    const w = world([gpuNode("n1", 2)]);
    w.loop.start();
    w.cluster.submit(job("l1"));
    w.cluster.submit(job("l2"));
    await w.clock.advance(100);
    w.cluster.submit(job("big", { priority: 100, gpu: { kind: "whole", count: 2 } }));
    await w.clock.advance(100);
    expect(w.cluster.evictions.map((e) => e.eviction.workloadId).sort()).toEqual(["l1", "l2"]);
    w.cluster.submit(job("small", { priority: 50 }));
    w.cluster.exit("l1");
    await w.clock.advance(2000);
    expect(w.boundAt("small")).toBeUndefined(); // l1's GPU is big's
    expect(w.boundAt("big")).toBeUndefined();
    w.cluster.exit("l2");
    await w.clock.advance(200);
    expect(w.boundAt("big")).toBeDefined();
    expect(w.boundAt("small")).toBeUndefined();
  });

  it("a refused bind is forgotten, so the work is placed again later", async () => {
    const w = world([gpuNode("n1", 1)]);
    w.loop.start();
    w.cluster.refuse.add("a");
    w.cluster.submit(job("a"));
    await w.clock.advance(1100); // later cycles (the resync's at the latest)
    expect(w.cluster.binds.map((b) => b.id)).toEqual(["a"]); // had the cache kept it, the only GPU would look taken
    expect(w.cluster.refuse.size).toBe(0);
  });

  it("a node added through the change feed takes work at once", async () => {
    const w = world([gpuNode("n1", 1)]);
    w.loop.start();
    w.cluster.submit(job("a"));
    w.cluster.submit(job("b"));
    await w.clock.advance(100);
    expect(w.boundAt("b")).toBeUndefined();
    w.cluster.addNode(gpuNode("n2", 1));
    await w.clock.advance(100);
    expect(w.cluster.binds.find((x) => x.id === "b")?.alloc.node).toBe("n2");
  });

  it("work placed before the start is in the cache: nothing is placed twice onto it", async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster([gpuNode("n1", 1)], clock);
    cluster.place(job("old"), {
      workloadId: "old",
      node: "n1",
      cpuMilli: 100,
      memoryMiB: 64,
      gpus: [{ index: 0, milli: 1000, memoryMiB: 81_920 }],
    });
    loop = new ScheduleLoop({ port: cluster, profile: policyProfile("default"), clock, log: quietLogger });
    loop.start();
    cluster.submit(job("new"));
    await clock.advance(500);
    expect(cluster.binds).toEqual([]);
    cluster.exit("old");
    await clock.advance(500);
    expect(cluster.binds.map((b) => b.id)).toEqual(["new"]);
  });
});
