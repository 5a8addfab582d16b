import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NodeSpec } from "../../core/node.js";
import { queueSpec, RESOURCE_KEYS, type ResourceKey } from "../../core/queue.js";
import { makeNode, makeScheduler, type PodOpts } from "../test-support/builders.js";
import type { CycleResult } from "./cycle.js";
import { snapshotViolations } from "./invariants.js";
import { demandOf, QueueLedger, queueOf } from "./ledger.js";
import { type JobGen, type Op, World } from "../test-support/test-world.js";
import { priorityOf } from "./units.js";

/**
 * Random clusters of a few nodes with a few GPUs, random sequences of submit / finish / preempt /
 * quota-change operations, one runCycle after each; the invariants are checked after every step.
 * Sizes stay small (the machines have 2 cores).
 */

const QUEUES = ["q0", "q1", "q2"];

const nodeArb = fc.record({
  gpus: fc.integer({ min: 0, max: 4 }),
  model: fc.constantFrom("A100-80GB", "H100-80GB", "A100-40GB"),
  mig: fc.boolean(),
  nvlink: fc.constantFrom("none", "pairs", "all") as fc.Arbitrary<"none" | "pairs" | "all">,
  cpus: fc.integer({ min: 2, max: 16 }),
  memGiB: fc.integer({ min: 8, max: 64 }),
  driver: fc.constantFrom("535.104.05", "550.54.14"),
});

const clusterArb: fc.Arbitrary<NodeSpec[]> = fc.array(nodeArb, { minLength: 1, maxLength: 3 }).map((ns) =>
  ns.map((n, i) =>
    makeNode(`n${i}`, {
      gpus: n.gpus,
      model: n.model,
      mig: n.mig && n.gpus > 0,
      nvlink: n.nvlink,
      cpuMilli: n.cpus * 1000,
      memoryMiB: n.memGiB * 1024,
      driver: n.driver,
    }),
  ),
);

const shapeArb: fc.Arbitrary<PodOpts> = fc.oneof(
  fc.constant({}),
  fc.record({
    share: fc.integer({ min: 1, max: 10 }).map((x) => x * 100),
    gpuMemoryMiB: fc.constantFrom(0, 4096, 20_000),
  }),
  fc.record({
    gpus: fc.integer({ min: 1, max: 3 }),
    nvlink: fc.constantFrom("preferred", "required") as fc.Arbitrary<"preferred" | "required">,
  }),
  fc.record({ mig: fc.constantFrom("1g.10gb", "3g.40gb", "1g.5gb", "3g.20gb", "7g.80gb") }),
);

const jobArb: fc.Arbitrary<JobGen> = fc.record({
  shape: shapeArb,
  cpuMilli: fc.integer({ min: 1, max: 8 }).map((x) => x * 500),
  memoryMiB: fc.integer({ min: 1, max: 16 }).map((x) => x * 1024),
  priority: fc.constantFrom(-100, 0, 0, 1000),
  queue: fc.constantFrom(...QUEUES),
  preemptible: fc.constantFrom(true, true, true, false),
  gangSize: fc.constantFrom(1, 1, 1, 2, 3),
  cuda: fc.constantFrom(undefined, undefined, undefined, "12.4", "13.0"),
});
const quotaArb = fc.record({
  queue: fc.constantFrom(...QUEUES),
  guaranteeGpus: fc.integer({ min: 0, max: 4 }),
  guaranteeCpus: fc.integer({ min: 0, max: 8 }),
  extraLimitGpus: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  weight: fc.integer({ min: 1, max: 4 }),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: jobArb.map((job) => ({ kind: "submit" as const, job })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: "finish" as const, pick })) },
  {
    weight: 2,
    arbitrary: jobArb.map((job) => ({ kind: "preempt" as const, job: { ...job, priority: 1_000_000 } })),
  },
  { weight: 2, arbitrary: quotaArb.map((quota) => ({ kind: "quota" as const, quota })) },
);

/** Every invariant of one step; returns the violations. */
function violations(world: World, r: CycleResult, pendingBefore: ReadonlySet<string>): string[] {
  const snap = world.scheduler.snapshot;
  const out = snapshotViolations(snap);
  const ledger = QueueLedger.fromSnapshot([...world.queues.values()], snap);
  for (const a of r.bind) {
    if (snap.placement(a.workloadId)?.allocation !== a)
      out.push(`bound ${a.workloadId} is not placed as reported`);
  }
  for (const id of pendingBefore) {
    if (!snap.placement(id) && !r.pending.get(id)) out.push(`pending ${id} has no reason`);
  }
  // Queue → resources its work lost to other queues' preemption/reclaim (a same-queue preemption may
  // legitimately trade the queue's own work, so such queues are not judged).
  const lost = new Map<string, Set<ResourceKey>>();
  const sameQueue = new Set<string>();
  for (const e of r.evict) {
    const v = world.jobs.get(e.workloadId)!;
    const by = world.jobs.get(e.by)!;
    if (v.preemptible === false) out.push(`${v.id} is not preemptible but was evicted`);
    if (e.reason === "preempt" && !(priorityOf(v) < priorityOf(by)))
      out.push(`preempt: ${v.id} (${priorityOf(v)}) evicted by ${by.id} (${priorityOf(by)})`);
    if (e.reason === "reclaim" && (queueOf(v) === queueOf(by) || priorityOf(v) > priorityOf(by)))
      out.push(`reclaim: ${v.id} evicted by ${by.id}`);
    if (queueOf(v) === queueOf(by)) {
      sameQueue.add(queueOf(v));
      continue;
    }
    const keys = lost.get(queueOf(v)) ?? new Set<ResourceKey>();
    const d = demandOf(v);
    for (const key of RESOURCE_KEYS) if (d[key] > 0) keys.add(key);
    lost.set(queueOf(v), keys);
  }
  for (const [q, keys] of lost) {
    if (sameQueue.has(q)) continue;
    const g = ledger.spec(q).guarantee;
    for (const key of keys)
      if (ledger.used(q)[key] < g[key]) out.push(`queue ${q} pushed below its ${key} guarantee`);
  }
  const gangs = new Map<string, { size: number; placed: number }>();
  for (const w of world.jobs.values()) {
    if (!w.gang) continue;
    const e = gangs.get(w.gang.id) ?? { size: w.gang.size, placed: 0 };
    if (snap.placement(w.id)) e.placed++;
    gangs.set(w.gang.id, e);
  }
  for (const [id, g] of gangs)
    if (g.placed !== 0 && g.placed !== g.size) out.push(`gang ${id}: ${g.placed}/${g.size} placed`);
  const boundQueues = new Set(r.bind.map((a) => queueOf(world.jobs.get(a.workloadId)!)));
  for (const q of boundQueues) {
    const limit = ledger.spec(q).limit;
    if (!limit) continue;
    for (const key of RESOURCE_KEYS)
      if (ledger.used(q)[key] > limit[key]) out.push(`queue ${q} over its ${key} limit after binding`);
  }
  return out;
}

describe("runCycle properties", () => {
  it("never overcommits, preempts only strictly lower priorities, keeps gangs whole, honours limits and guarantees", () => {
    fc.assert(
      fc.property(
        clusterArb,
        fc.array(quotaArb, { maxLength: 3 }),
        fc.array(opArb, { minLength: 1, maxLength: 16 }),
        fc.constantFrom("default", "binpack", "spread", "random"),
        (nodes, quotas, ops, policy) => {
          const world = new World(makeScheduler(nodes, policy as "default", 7));
          for (const quota of quotas) world.apply({ kind: "quota", quota });
          for (const op of ops) {
            world.apply(op);
            const before = new Set(world.pending.keys());
            const r = world.cycle();
            const bad = violations(world, r, before);
            if (bad.length) throw new Error(`after ${JSON.stringify(op)}: ${bad.join("; ")}`);
          }
        },
      ),
      { numRuns: 150, seed: 20261130 },
    );
  });

  it("the same invariants under contention: GPU-dense nodes, many priorities, guarantees, mostly preemptible", () => {
    const denseNode = fc.record({
      gpus: fc.integer({ min: 2, max: 4 }),
      nvlink: fc.constantFrom("none", "pairs", "all"),
    });
    const contended: fc.Arbitrary<JobGen> = fc.record({
      shape: fc.oneof(
        fc.record({
          share: fc.integer({ min: 2, max: 10 }).map((x) => x * 100),
          gpuMemoryMiB: fc.constantFrom(0, 20_000),
        }),
        fc.record({ gpus: fc.integer({ min: 1, max: 2 }) }),
      ),
      cpuMilli: fc.constant(1000),
      memoryMiB: fc.constant(1024),
      priority: fc.constantFrom(-100, 0, 0, 0, 1000, 1_000_000),
      queue: fc.constantFrom(...QUEUES),
      preemptible: fc.constantFrom(true, true, true, false),
      gangSize: fc.constantFrom(1, 1, 2),
      cuda: fc.constant(undefined),
    });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: contended.map((job) => ({ kind: "submit" as const, job })) },
      { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: "finish" as const, pick })) },
      { weight: 1, arbitrary: quotaArb.map((quota) => ({ kind: "quota" as const, quota })) },
    );
    const evicted = { preempt: 0, reclaim: 0 };
    fc.assert(
      fc.property(
        fc.array(denseNode, { minLength: 1, maxLength: 3 }),
        fc.array(quotaArb, { minLength: 1, maxLength: 3 }),
        fc.array(op, { minLength: 4, maxLength: 24 }),
        (specs, quotas, ops) => {
          const nodes = specs.map((n, i) =>
            makeNode(`n${i}`, { gpus: n.gpus, nvlink: n.nvlink, cpuMilli: 64_000 }),
          );
          const world = new World(makeScheduler(nodes));
          for (const quota of quotas) world.apply({ kind: "quota", quota });
          for (const o of ops) {
            world.apply(o);
            const before = new Set(world.pending.keys());
            const r = world.cycle();
            for (const e of r.evict) evicted[e.reason]++;
            const bad = violations(world, r, before);
            if (bad.length) throw new Error(`after ${JSON.stringify(o)}: ${bad.join("; ")}`);
          }
        },
      ),
      { numRuns: 150, seed: 31337 },
    );
    // The generator must exercise eviction, or the invariants above say little about it.
    expect(evicted.preempt).toBeGreaterThan(20);
    expect(evicted.reclaim).toBeGreaterThan(5);
  });

  it("a queue whose guarantee fits the cluster gets at least its guarantee when it has the demand", () => {
    // Uniform 1-GPU jobs at one priority, CPU to spare: fragmentation cannot excuse a shortfall.
    const setup = fc.record({
      gpusPerNode: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      shares: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
    });
    const step = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .record({ queue: fc.constantFrom(...QUEUES), count: fc.integer({ min: 1, max: 4 }) })
          .map((s) => ({ kind: "submit" as const, ...s })),
      },
      { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: "finish" as const, pick })) },
    );
    fc.assert(
      fc.property(
        setup,
        fc.array(step, { minLength: 1, maxLength: 10 }),
        ({ gpusPerNode, shares }, steps) => {
          const total = gpusPerNode.reduce((a, b) => a + b, 0);
          // Scale the guarantees down until they fit the cluster together.
          let g = shares.slice();
          while (g.reduce((a, b) => a + b, 0) > total) g = g.map((x) => Math.max(0, x - 1));
          const nodes = gpusPerNode.map((n, i) => makeNode(`n${i}`, { gpus: n, cpuMilli: 64_000 }));
          const world = new World(makeScheduler(nodes));
          QUEUES.forEach((q, i) => {
            world.queues.set(q, queueSpec({ name: q, guarantee: { gpuMilli: g[i]! * 1000 } }));
          });
          const one = {
            shape: { gpus: 1 },
            cpuMilli: 500,
            memoryMiB: 1024,
            priority: 0,
            gangSize: 1,
            cuda: undefined,
            preemptible: true,
          };
          for (const s of steps) {
            if (s.kind === "submit")
              for (let k = 0; k < s.count; k++) world.submit({ ...one, queue: s.queue });
            else world.finish(s.pick);
            world.cycle();
            const ledger = QueueLedger.fromSnapshot([...world.queues.values()], world.scheduler.snapshot);
            QUEUES.forEach((q, i) => {
              const demand = [...world.jobs.values()].filter(
                (w) =>
                  queueOf(w) === q && (world.pending.has(w.id) || world.scheduler.snapshot.placement(w.id)),
              ).length;
              expect(ledger.used(q).gpuMilli, `queue ${q}`).toBeGreaterThanOrEqual(
                Math.min(g[i]!, demand) * 1000,
              );
            });
          }
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it("is deterministic: the same history and seed give the same decisions", () => {
    fc.assert(
      fc.property(
        clusterArb,
        fc.array(opArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        (nodes, ops, seed) => {
          const replay = () => {
            const world = new World(makeScheduler(nodes, "random", seed));
            return ops.map((op) => {
              world.apply(op);
              const r = world.cycle();
              return JSON.stringify([r.bind, r.evict, [...r.pending], r.held]);
            });
          };
          expect(replay()).toEqual(replay());
        },
      ),
      { numRuns: 50, seed: 99 },
    );
  });
});
