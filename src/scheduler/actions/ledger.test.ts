import { describe, expect, it } from "vitest";
import { queueSpec } from "../../core/queue.js";
import { makeNode, makePod, makeScheduler } from "../test-support/builders.js";
import { runCycle } from "./cycle.js";
import { allocationResources, demandOf, QueueLedger } from "./ledger.js";

/** The queue ledger in quota resources, host memory included. */

describe("demandOf / allocationResources", () => {
  it("a workload's host memory counts in every GPU shape", () => {
    expect(demandOf(makePod("cpu", { cpuMilli: 500, memoryMiB: 64 }))).toEqual({
      gpuMilli: 0,
      gpuMemoryMiB: 0,
      cpuMilli: 500,
      memoryMiB: 64,
    });
    expect(demandOf(makePod("whole", { gpus: 2, memoryMiB: 2048 })).memoryMiB).toBe(2048);
    expect(demandOf(makePod("share", { share: 250, gpuMemoryMiB: 10, memoryMiB: 512 })).memoryMiB).toBe(512);
    expect(demandOf(makePod("mig", { mig: "1g.10gb", memoryMiB: 4096 })).memoryMiB).toBe(4096);
  });

  it("a MIG instance holds its share of its GPU's compute slices: 1/7 on an A100, 1/4 on an A30", () => {
    expect(demandOf(makePod("a100", { mig: "1g.10gb" })).gpuMilli).toBe(143);
    expect(demandOf(makePod("a30", { mig: "1g.6gb" })).gpuMilli).toBe(250);
    const s = makeScheduler([makeNode("a30", { gpus: 1, model: "A30", mig: true })]);
    const r = runCycle(s, { pending: [makePod("m", { mig: "2g.12gb" })] });
    expect(allocationResources(s.snapshot, r.bind[0]!).gpuMilli).toBe(500);
  });

  it("a placed allocation holds the host memory it was given", () => {
    const s = makeScheduler([makeNode("n1", { gpus: 1 })]);
    const r = runCycle(s, { pending: [makePod("a", { share: 500, gpuMemoryMiB: 1000, memoryMiB: 768 })] });
    expect(allocationResources(s.snapshot, r.bind[0]!)).toEqual({
      gpuMilli: 500,
      gpuMemoryMiB: 1000,
      cpuMilli: 1000,
      memoryMiB: 768,
    });
  });
});

describe("QueueLedger: a workload that asks no CPU or memory", () => {
  it("holds and asks none of either, so CPU and memory limits never hold it back", () => {
    const s = makeScheduler([makeNode("n1", { gpus: 1, cpuMilli: 2000, memoryMiB: 1024 })]);
    const none = (id: string) => makePod(id, { queue: "a", share: 250, cpuMilli: 0, memoryMiB: 0 });
    runCycle(s, { pending: [none("a1"), none("a2")] });
    const ledger = QueueLedger.fromSnapshot(
      [queueSpec({ name: "a", limit: { cpuMilli: 100, memoryMiB: 100 } })],
      s.snapshot,
    );
    expect(ledger.used("a")).toMatchObject({ gpuMilli: 500, cpuMilli: 0, memoryMiB: 0 });
    expect(ledger.overLimit("a", demandOf(none("a3")))).toBeNull();
  });
});

describe("QueueLedger: host memory", () => {
  const node = makeNode("n1", { gpus: 0, cpuMilli: 8000, memoryMiB: 8192 });

  it("counts capacity and usage, and names memory when a limit is broken", () => {
    const s = makeScheduler([node]);
    runCycle(s, { pending: [makePod("a1", { queue: "a", memoryMiB: 64 })] });
    const ledger = QueueLedger.fromSnapshot(
      [queueSpec({ name: "a", limit: { memoryMiB: 100 } })],
      s.snapshot,
    );
    expect(ledger.capacity.memoryMiB).toBe(8192);
    expect(ledger.used("a").memoryMiB).toBe(64);
    expect(ledger.overLimit("a", demandOf(makePod("a2", { memoryMiB: 36 })))).toBeNull();
    expect(ledger.overLimit("a", demandOf(makePod("a2", { memoryMiB: 64 })))).toBe(
      "over quota: queue a limit memory 100Mi (uses 64, asks 64)",
    );
  });

  it("a memory guarantee governs memory: within it, and given back only above it", () => {
    const s = makeScheduler([node]);
    runCycle(s, { pending: [makePod("a1", { queue: "a", cpuMilli: 0, memoryMiB: 1024 })] });
    const ledger = QueueLedger.fromSnapshot(
      [queueSpec({ name: "a", guarantee: { memoryMiB: 2048 } })],
      s.snapshot,
    );
    const more = (memoryMiB: number) => demandOf(makePod("x", { cpuMilli: 0, memoryMiB }));
    expect(ledger.withinGuarantee("a", more(1024))).toBe(true);
    expect(ledger.withinGuarantee("a", more(1025))).toBe(false);
    expect(ledger.canGiveBack("a", more(1024))).toBe(false);
    expect(ledger.borrowShare("a")).toBe(0);
  });
});
