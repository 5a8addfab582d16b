import { describe, expect, it } from "vitest";
import type { NodeSpec } from "../../core/node.js";
import { queueSpec } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import { makeNode, makePod, makeScheduler } from "../test-support/builders.js";
import { runCycle } from "./cycle.js";

/** A scheduler whose snapshot already runs `running` (all must fit). */
function withRunning(
  nodes: readonly NodeSpec[],
  running: readonly Workload[],
  queues = [] as ReturnType<typeof queueSpec>[],
) {
  const s = makeScheduler(nodes);
  const r = runCycle(s, { pending: running, queues, actions: ["allocate"] });
  expect(r.pending, "setup: everything running must fit").toEqual(new Map());
  return s;
}

const evicted = (r: ReturnType<typeof runCycle>) => r.evict.map((e) => e.workloadId).sort();

describe("preempt", () => {
  it("evicts only strictly lower priorities: lowest first, newest first, and no more than needed", () => {
    const s = withRunning(
      [makeNode("n1", { gpus: 4 })],
      [
        makePod("old-low", { gpus: 1, priority: -100, seq: 1 }),
        makePod("new-low", { gpus: 1, priority: -100, seq: 2 }),
        makePod("normal", { gpus: 1, priority: 0, seq: 3 }),
        makePod("peer", { gpus: 1, priority: 1000, seq: 4 }),
      ],
    );
    const r = runCycle(s, { pending: [makePod("high", { gpus: 1, priority: 1000, seq: 5 })] });
    expect(r.evict).toEqual([{ workloadId: "new-low", reason: "preempt", by: "high" }]);
    expect(r.bind.map((a) => a.workloadId)).toEqual(["high"]);
  });

  it("says which placements need the evictions first (afterEvictions): the preemptor, not what fit already", () => {
    const s = withRunning(
      [makeNode("n1", { gpus: 2 })],
      [makePod("low", { gpus: 1, priority: -100, seq: 1 })],
    );
    const r = runCycle(s, {
      pending: [makePod("high", { gpus: 2, priority: 1000, seq: 2 }), makePod("cpu-only", { seq: 3 })],
    });
    expect(evicted(r)).toEqual(["low"]);
    expect(r.bind.map((a) => a.workloadId).sort()).toEqual(["cpu-only", "high"]);
    expect([...r.afterEvictions]).toEqual(["high"]);
    // Without evictions nothing waits for them.
    const calm = runCycle(makeScheduler([makeNode("n1", { gpus: 2 })]), {
      pending: [makePod("x", { gpus: 1 })],
    });
    expect([...calm.afterEvictions]).toEqual([]);
  });

  it("never evicts an equal priority", () => {
    const s = withRunning([makeNode("n1", { gpus: 1 })], [makePod("a", { gpus: 1, priority: 5 })]);
    const r = runCycle(s, { pending: [makePod("b", { gpus: 1, priority: 5 })] });
    expect(r.evict).toEqual([]);
    expect(r.pending.has("b")).toBe(true);
  });

  it("never evicts a workload marked preemptible: false", () => {
    const s = withRunning(
      [makeNode("n1", { gpus: 1 })],
      [makePod("a", { gpus: 1, priority: -1000, preemptible: false })],
    );
    const r = runCycle(s, { pending: [makePod("b", { gpus: 1, priority: 1000 })] });
    expect(r.evict).toEqual([]);
  });

  it("does not evict for a pod that would still not fit (CUDA 13.0 on a 535 driver)", () => {
    const s = withRunning(
      [makeNode("n1", { gpus: 1, driver: "535.104.05" })],
      [makePod("a", { gpus: 1, priority: -1000 })],
    );
    const r = runCycle(s, {
      pending: [makePod("b", { gpus: 1, priority: 1000, cuda: { version: "13.0" } })],
    });
    expect(r.evict).toEqual([]);
    expect(s.snapshot.placement("a")).toBeDefined();
  });

  it("does not even try for an Unresolvable pod (no node could ever run it)", () => {
    const s = withRunning(
      [makeNode("n1", { gpus: 1, driver: "535.104.05" })],
      [makePod("a", { share: 500, priority: -1000 })],
    );
    const r = runCycle(s, {
      pending: [makePod("b", { share: 500, priority: 1000, cuda: { version: "13.0" } })],
    });
    expect(r.evict).toEqual([]);
    expect(r.pending.get("b")).toBe("0/1 nodes are available: 1 × driver 535.104.05 cannot run CUDA 13.0");
  });

  it("a victim in a gang takes its whole gang with it, even from another node", () => {
    const s = withRunning(
      [makeNode("n1", { gpus: 1 }), makeNode("n2", { gpus: 1 })],
      [
        makePod("g-0", { gpus: 1, gang: "g:2", priority: -100 }),
        makePod("g-1", { gpus: 1, gang: "g:2", priority: -100 }),
      ],
    );
    const r = runCycle(s, { pending: [makePod("high", { gpus: 1, priority: 1000 })] });
    expect(evicted(r)).toEqual(["g-0", "g-1"]);
    expect(s.snapshot.placedWorkloads().map((p) => p.allocation.workloadId)).toEqual(["high"]);
  });

  it("chooses the node whose victims have the lowest priority, then the fewest", () => {
    const s = withRunning(
      [makeNode("n1", { gpus: 2 }), makeNode("n2", { gpus: 2 }), makeNode("n3", { gpus: 2 })],
      [
        makePod("n1-a", { gpus: 1, priority: 0, seq: 1 }),
        makePod("n1-b", { gpus: 1, priority: 0, seq: 2 }),
        makePod("n2-a", { gpus: 1, priority: -100, seq: 3 }),
        makePod("n2-b", { gpus: 1, priority: -100, seq: 4 }),
        makePod("n3-ab", { gpus: 2, priority: -100, seq: 5 }),
      ],
    );
    // Needs 2 GPUs: n1 costs two priority-0 victims, n2 two priority -100, n3 one priority -100.
    const r = runCycle(s, { pending: [makePod("big", { gpus: 2, priority: 1000 })] });
    expect(evicted(r)).toEqual(["n3-ab"]);
    expect(r.bind).toMatchObject([{ workloadId: "big", node: "n3" }]);
  });

  it("a gang preempts for all its members or for none", () => {
    const s = withRunning(
      [makeNode("n1", { gpus: 1 }), makeNode("n2", { gpus: 1 })],
      [makePod("low", { gpus: 1, priority: -100 }), makePod("peer", { gpus: 1, priority: 1000 })],
    );
    const gang = [
      makePod("g-0", { gpus: 1, gang: "g:2", priority: 1000 }),
      makePod("g-1", { gpus: 1, gang: "g:2", priority: 1000 }),
    ];
    const r = runCycle(s, { pending: gang });
    expect(r.evict).toEqual([]);
    expect(s.snapshot.placement("low")).toBeDefined();
    expect(r.pending.get("g-0")).toMatch(/^waiting for gang g/);
  });

  it("does not take another queue's work below that queue's guarantee, whatever the priority", () => {
    const queues = [queueSpec({ name: "a", guarantee: { gpuMilli: 1000 } }), queueSpec({ name: "b" })];
    const s = withRunning(
      [makeNode("n1", { gpus: 1 })],
      [makePod("a1", { gpus: 1, queue: "a", priority: -1000 })],
      queues,
    );
    const r = runCycle(s, { queues, pending: [makePod("b1", { gpus: 1, queue: "b", priority: 1_000_000 })] });
    expect(r.evict).toEqual([]);
  });

  it("preempts elsewhere rather than onto the node earmarked for the head", () => {
    // Head h (2 GPUs) waits for node e (held by e1, too high to preempt); p may not take e's free GPU,
    // so it preempts n1 on node n.
    const s = withRunning(
      [makeNode("e", { gpus: 2, model: "A100-80GB" }), makeNode("n", { gpus: 1, model: "H100-80GB" })],
      [
        makePod("e1", { gpus: 1, priority: 2000, seq: 1, gpuModels: ["A100-80GB"] }),
        makePod("n1", { gpus: 1, priority: -100, seq: 2, gpuModels: ["H100-80GB"] }),
      ],
    );
    const r = runCycle(s, {
      pending: [makePod("h", { gpus: 2, seq: 3 }), makePod("p", { gpus: 1, seq: 4 })],
    });
    expect(r.held).toEqual({ head: "h", nodes: ["e"], blockers: ["e1"] });
    expect(r.bind).toMatchObject([{ workloadId: "p", node: "n" }]);
    expect(r.evict).toEqual([{ workloadId: "n1", reason: "preempt", by: "p" }]);
  });

  it("a victim placed earlier in the same cycle is unbound, not evicted", () => {
    // h waits for node e (earmarked; x there is too high to preempt). q (2 H100s) does not fit beside k,
    // so "late" is backfilled into n's free GPU; preempt then makes room for q by taking k and late.
    const A100 = { gpuModels: ["A100-80GB"] };
    const H100 = { gpuModels: ["H100-80GB"] };
    const s = withRunning(
      [makeNode("e", { gpus: 2, model: "A100-80GB" }), makeNode("n", { gpus: 2, model: "H100-80GB" })],
      [
        makePod("x", { gpus: 1, priority: 2000, seq: 1, ...A100 }),
        makePod("k", { gpus: 1, priority: -100, seq: 2, ...H100 }),
      ],
    );
    const r = runCycle(s, {
      pending: [
        makePod("h", { gpus: 2, priority: 1000, seq: 3, ...A100 }),
        makePod("q", { gpus: 2, priority: 500, seq: 4, ...H100 }),
        makePod("late", { gpus: 1, priority: -100, seq: 5, ...H100 }),
      ],
    });
    expect(r.bind).toMatchObject([{ workloadId: "q", node: "n" }]);
    expect(r.evict).toEqual([{ workloadId: "k", reason: "preempt", by: "q" }]);
    expect(r.pending.get("late")).toBe("preempted by q before it was bound");
  });
});

describe("reclaim", () => {
  const queues = [
    queueSpec({ name: "a", guarantee: { gpuMilli: 2000 } }),
    queueSpec({ name: "b", guarantee: { gpuMilli: 1000 } }),
  ];
  const borrowing = () =>
    withRunning(
      [makeNode("n1", { gpus: 4 })],
      [0, 1, 2, 3].map((i) => makePod(`b${i}`, { gpus: 1, queue: "b", seq: i })),
      queues,
    );

  it("takes back a guarantee from a borrower at equal priority, newest first", () => {
    const s = borrowing();
    const r = runCycle(s, {
      queues,
      pending: [
        makePod("a1", { gpus: 1, queue: "a", seq: 10 }),
        makePod("a2", { gpus: 1, queue: "a", seq: 11 }),
      ],
    });
    expect(r.evict).toEqual([
      { workloadId: "b3", reason: "reclaim", by: "a1" },
      { workloadId: "b2", reason: "reclaim", by: "a2" },
    ]);
  });

  it("never pushes the borrower below its own guarantee", () => {
    const s = borrowing();
    const pending = [0, 1, 2, 3].map((i) => makePod(`a${i}`, { gpus: 1, queue: "a", seq: 10 + i }));
    const r = runCycle(s, {
      queues: [queueSpec({ name: "a", guarantee: { gpuMilli: 3000 } }), queues[1]!],
      pending,
    });
    expect(evicted(r)).toEqual(["b2", "b3"].concat(["b1"]).sort());
    expect(s.snapshot.placement("b0")).toBeDefined();
  });

  it("takes back a host memory guarantee from a borrower", () => {
    const memQueues = [queueSpec({ name: "a", guarantee: { memoryMiB: 4096 } }), queueSpec({ name: "b" })];
    const s = withRunning(
      [makeNode("n1", { gpus: 0, cpuMilli: 8000, memoryMiB: 8192 })],
      [0, 1].map((i) => makePod(`b${i}`, { queue: "b", memoryMiB: 4096, seq: i })),
      memQueues,
    );
    const r = runCycle(s, {
      queues: memQueues,
      pending: [makePod("a1", { queue: "a", memoryMiB: 4096, seq: 10 })],
    });
    expect(r.evict).toEqual([{ workloadId: "b1", reason: "reclaim", by: "a1" }]);
  });

  it("does not reclaim for a queue beyond its guarantee, nor from higher priorities", () => {
    const s = borrowing();
    const tooBig = runCycle(s, { queues, pending: [makePod("a-big", { gpus: 3, queue: "a" })] });
    expect(tooBig.evict).toEqual([]);
    const s2 = withRunning(
      [makeNode("n1", { gpus: 1 })],
      [makePod("b-high", { gpus: 1, queue: "b", priority: 1000 })],
      queues,
    );
    const higher = runCycle(s2, {
      queues: [queues[0]!, queueSpec({ name: "b" })],
      pending: [makePod("a1", { gpus: 1, queue: "a" })],
    });
    expect(higher.evict).toEqual([]);
  });
});
