import { describe, expect, it } from "vitest";
import { queueSpec } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import { makeNode, makePod, makeScheduler } from "../test-support/builders.js";
import { runCycle } from "./cycle.js";

const GPU_NODE = makeNode("n1", { gpus: 1 });

function boundIds(r: ReturnType<typeof runCycle>): string[] {
  return r.bind.map((a) => a.workloadId);
}

describe("allocate: order", () => {
  it("places the higher priority first, whatever the submission order", () => {
    const s = makeScheduler([GPU_NODE]);
    const r = runCycle(s, {
      pending: [makePod("low", { gpus: 1, seq: 1 }), makePod("high", { gpus: 1, seq: 2, priority: 1000 })],
    });
    expect(boundIds(r)).toEqual(["high"]);
    expect(r.pending.get("low")).toMatch(/0\/1 nodes are available: 1 × .*not enough free whole GPUs/);
  });

  it("is FIFO within a priority", () => {
    const s = makeScheduler([GPU_NODE]);
    const r = runCycle(s, {
      pending: [makePod("later", { gpus: 1, seq: 2 }), makePod("first", { gpus: 1, seq: 1 })],
    });
    expect(boundIds(r)).toEqual(["first"]);
  });

  it("commits: the next cycle starts from the placements of this one", () => {
    const s = makeScheduler([GPU_NODE]);
    runCycle(s, { pending: [makePod("a", { gpus: 1 })] });
    expect(s.snapshot.placement("a")?.allocation.node).toBe("n1");
    const r = runCycle(s, { pending: [makePod("a", { gpus: 1 }), makePod("b", { gpus: 1 })] });
    expect(boundIds(r)).toEqual([]);
    expect([...r.pending.keys()]).toEqual(["b"]);
  });

  it("with a caller's statement, leaves the decision to roll back (what-if)", () => {
    const s = makeScheduler([GPU_NODE]);
    const stmt = s.statement();
    expect(boundIds(runCycle(s, { pending: [makePod("a", { gpus: 1 })] }, stmt))).toEqual(["a"]);
    stmt.rollback();
    expect(s.snapshot.placedWorkloads()).toEqual([]);
  });
});

describe("allocate: queues", () => {
  const fourGpus = [makeNode("n1", { gpus: 4 })];

  it("a workload over its queue's limit waits with the limit in the reason", () => {
    const s = makeScheduler(fourGpus);
    const queues = [queueSpec({ name: "a", limit: { gpuMilli: 1000 } })];
    const r = runCycle(s, {
      queues,
      pending: [
        makePod("a1", { gpus: 1, queue: "a", seq: 1 }),
        makePod("a2", { gpus: 1, queue: "a", seq: 2 }),
      ],
    });
    expect(boundIds(r)).toEqual(["a1"]);
    expect(r.pending.get("a2")).toBe("over quota: queue a limit gpu 1000m (uses 1000, asks 1000)");
  });

  it("a queue that spent its GPU-second budget holds back its GPU work, not its CPU work", () => {
    const s = makeScheduler(fourGpus);
    const queues = [queueSpec({ name: "a", gpuSeconds: { budget: 3600, used: 3600 } })];
    const r = runCycle(s, {
      queues,
      pending: [makePod("gpu", { gpus: 1, queue: "a", seq: 1 }), makePod("cpu", { queue: "a", seq: 2 })],
    });
    expect(boundIds(r)).toEqual(["cpu"]);
    expect(r.pending.get("gpu")).toBe("over quota: queue a used 3600.0 of its 3600 GPU-seconds");
    const left = [queueSpec({ name: "a", gpuSeconds: { budget: 3600, used: 3599.5 } })];
    expect(
      boundIds(
        runCycle(makeScheduler(fourGpus), {
          queues: left,
          pending: [makePod("gpu", { gpus: 1, queue: "a" })],
        }),
      ),
    ).toEqual(["gpu"]);
  });

  it("checks GPU memory limits against the GPUs really chosen (whole GPUs)", () => {
    const s = makeScheduler(fourGpus);
    const queues = [queueSpec({ name: "a", limit: { gpuMemoryMiB: 40_000 } })];
    const r = runCycle(s, { queues, pending: [makePod("a1", { gpus: 1, queue: "a" })] });
    expect(boundIds(r)).toEqual([]);
    expect(r.pending.get("a1")).toBe("over quota: queue a limit gpu memory 40000Mi (uses 0, asks 81920)");
  });

  it("a host memory limit holds like the GPU ones, and the reason names memory", () => {
    const s = makeScheduler([makeNode("n1", { gpus: 0, cpuMilli: 8000, memoryMiB: 8192 })]);
    const queues = [queueSpec({ name: "a", limit: { memoryMiB: 100 } })];
    const r = runCycle(s, {
      queues,
      pending: [
        makePod("a1", { queue: "a", memoryMiB: 64, seq: 1 }),
        makePod("a2", { queue: "a", memoryMiB: 64, seq: 2 }),
        makePod("b1", { memoryMiB: 4096, seq: 3 }),
      ],
    });
    expect(boundIds(r).sort()).toEqual(["a1", "b1"]);
    expect(r.pending.get("a2")).toBe("over quota: queue a limit memory 100Mi (uses 64, asks 64)");
  });

  it("a queue within its guarantee goes before a borrowing one at equal priority", () => {
    const s = makeScheduler([GPU_NODE]);
    const queues = [queueSpec({ name: "a", guarantee: { gpuMilli: 1000 } }), queueSpec({ name: "b" })];
    const r = runCycle(s, {
      queues,
      pending: [
        makePod("b1", { gpus: 1, queue: "b", seq: 1 }),
        makePod("a1", { gpus: 1, queue: "a", seq: 2 }),
      ],
    });
    expect(boundIds(r)).toEqual(["a1"]);
  });

  it("idle capacity beyond guarantees is shared by weight (3:1)", () => {
    const s = makeScheduler(fourGpus);
    const queues = [queueSpec({ name: "a", weight: 3 }), queueSpec({ name: "b", weight: 1 })];
    const pending: Workload[] = [];
    for (let i = 0; i < 4; i++) pending.push(makePod(`b${i}`, { gpus: 1, queue: "b", seq: i }));
    for (let i = 0; i < 4; i++) pending.push(makePod(`a${i}`, { gpus: 1, queue: "a", seq: 10 + i }));
    const r = runCycle(s, { queues, pending });
    const byQueue = (q: string) => r.bind.filter((a) => a.workloadId.startsWith(q)).length;
    expect([byQueue("a"), byQueue("b")]).toEqual([3, 1]);
  });

  it("an unknown queue is an implicit queue with no guarantee and no limit", () => {
    const s = makeScheduler(fourGpus);
    const r = runCycle(s, { queues: [], pending: [makePod("x", { gpus: 2, queue: "nobody" })] });
    expect(boundIds(r)).toEqual(["x"]);
  });
});

describe("allocate: gangs", () => {
  it("places all members in one cycle", () => {
    const s = makeScheduler([makeNode("n1", { gpus: 1 }), makeNode("n2", { gpus: 1 })]);
    const r = runCycle(s, {
      pending: [makePod("g-0", { gpus: 1, gang: "g:2" }), makePod("g-1", { gpus: 1, gang: "g:2" })],
    });
    expect(boundIds(r).sort()).toEqual(["g-0", "g-1"]);
    expect(new Set(r.bind.map((a) => a.node))).toEqual(new Set(["n1", "n2"]));
  });

  it("places none when not all fit, and says how many could", () => {
    const s = makeScheduler([GPU_NODE]);
    const r = runCycle(s, {
      pending: [makePod("g-0", { gpus: 1, gang: "g:2" }), makePod("g-1", { gpus: 1, gang: "g:2" })],
    });
    expect(r.bind).toEqual([]);
    expect(s.snapshot.placedWorkloads()).toEqual([]);
    expect(r.pending.get("g-1")).toMatch(/^waiting for gang g \(1\/2 placeable\): /);
  });

  it("waits until every member is submitted", () => {
    const s = makeScheduler([GPU_NODE]);
    const r = runCycle(s, { pending: [makePod("g-0", { gpus: 1, gang: "g:2" })] });
    expect(r.bind).toEqual([]);
    expect(r.pending.get("g-0")).toBe("waiting for gang g (1/2 submitted)");
  });
});

describe("allocate: backfill", () => {
  // n1 has 4 GPUs, 2 held by r (priority 0); head h needs all 4; s needs 1.
  function setup() {
    const s = makeScheduler([makeNode("n1", { gpus: 4 })]);
    runCycle(s, { pending: [makePod("r", { gpus: 2 })] });
    return s;
  }

  it("does not backfill onto what the head waits for", () => {
    const s = setup();
    const r = runCycle(s, {
      pending: [makePod("h", { gpus: 4, seq: 1 }), makePod("s", { gpus: 1, seq: 2 })],
    });
    expect(r.bind).toEqual([]);
    expect(r.pending.get("s")).toMatch(/node n1 is held for h/);
  });

  it("still backfills what does not delay the head (CPU-only work with CPU to spare)", () => {
    const s = setup();
    const r = runCycle(s, { pending: [makePod("h", { gpus: 4, seq: 1 }), makePod("cpu", { seq: 2 })] });
    expect(boundIds(r)).toEqual(["cpu"]);
  });

  it("with backfill off, everything behind the head waits", () => {
    const s = setup();
    const r = runCycle(s, {
      backfill: false,
      pending: [makePod("h", { gpus: 4, seq: 1 }), makePod("cpu", { seq: 2 })],
    });
    expect(r.bind).toEqual([]);
    expect(r.pending.get("cpu")).toBe("queued behind h (backfill is off)");
  });
});

describe("determinism", () => {
  it("the same input and seed give the same result", () => {
    const nodes = [
      makeNode("n1", { gpus: 4, nvlink: "pairs" }),
      makeNode("n2", { gpus: 2 }),
      makeNode("n3", { gpus: 8, nvlink: "all" }),
    ];
    const pending = Array.from({ length: 30 }, (_, i) =>
      makePod(`p${i}`, {
        seq: i,
        priority: (i * 7) % 3,
        queue: `q${i % 3}`,
        ...(i % 4 === 0 ? { gpus: 1 + (i % 3) } : { share: 250 + ((i * 131) % 700) }),
      }),
    );
    const once = () => {
      const r = runCycle(makeScheduler(nodes, "random", 42), { pending });
      return JSON.stringify({ bind: r.bind, evict: r.evict, pending: [...r.pending] });
    };
    expect(once()).toBe(once());
  });
});

describe("input", () => {
  it("a workload listed twice is a caller bug", () => {
    const s = makeScheduler([GPU_NODE]);
    expect(() => runCycle(s, { pending: [makePod("a"), makePod("a")] })).toThrow(/listed twice/);
  });

  it("the input order of pending workloads does not change the result", () => {
    const pods = [
      makePod("x", { gpus: 1, seq: 2 }),
      makePod("y", { share: 500, seq: 1 }),
      makePod("z", { gpus: 1, seq: 3 }),
    ];
    const run = (pending: Workload[]) =>
      runCycle(makeScheduler([makeNode("n1", { gpus: 2 })]), { pending }).bind;
    expect(run([...pods].reverse())).toEqual(run(pods));
  });
});
