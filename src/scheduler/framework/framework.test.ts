import fc from "fast-check";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import type { Workload } from "../../core/workload.js";
import { POLICIES, builtinRegistry, policyProfile } from "../policies.js";
import { makeNode, makePod } from "../test-support/builders.js";
import { Scheduler } from "../scheduler.js";
import { CycleState, stateKey } from "./cycle-state.js";
import { parseProfile } from "./profile.js";
import { Registry, registration } from "./registry.js";
import { Code, Status } from "./status.js";

describe("registry and profile", () => {
  it("refuses duplicate plugin names", () => {
    const r = new Registry();
    const reg = registration(z.object({}), () => ({ name: "X" }));
    r.register("X", reg);
    expect(() => r.register("X", reg)).toThrowError(expect.objectContaining({ code: "GP_DUPLICATE_PLUGIN" }));
  });

  it("validates plugin args with a field path", () => {
    const nodes = [makeNode("n1", { gpus: 1 })];
    const profile = {
      ...policyProfile("fgd"),
      pluginArgs: { FgdScore: { typicalPods: [{ cpuMilli: -1, gpuMilli: 5, gpuCount: 1, weight: 1 }] } },
    };
    expect(() => new Scheduler(nodes, { profile })).toThrowError(
      /pluginArgs\.FgdScore\.typicalPods\.0\.cpuMilli/,
    );
  });

  it("rejects unknown profile fields and missing devices plugin", () => {
    expect(() => parseProfile({ name: "p", devices: "BestFitDevices", bogus: 1 })).toThrowError(
      expect.objectContaining({ code: "GP_INVALID_SPEC" }),
    );
    expect(() => parseProfile({ name: "p" })).toThrowError(/profile\.devices/);
  });

  it("a plugin named at a point it does not implement is a configuration bug", () => {
    const nodes = [makeNode("n1", { gpus: 1 })];
    const profile = { name: "bad", filter: ["PackingScore"], devices: "BestFitDevices" };
    expect(() => new Scheduler(nodes, { profile })).toThrowError(/does not implement filter/);
  });

  it("every policy builds from the builtin registry", () => {
    const nodes = [makeNode("n1", { gpus: 2 })];
    for (const p of POLICIES)
      expect(
        () => new Scheduler(nodes, { profile: policyProfile(p), registry: builtinRegistry() }),
      ).not.toThrow();
  });
});

describe("cycle state", () => {
  it("reads what was written, clones independently, and flags reads before writes", () => {
    const k = stateKey<{ n: number; clone(): unknown }>("k");
    const s = new CycleState();
    expect(() => s.read(k)).toThrow(/before it was written/);
    const v = { n: 1, clone: () => ({ n: 1, clone: v.clone }) };
    s.write(k, v);
    const c = s.clone();
    expect(c.read(k)).not.toBe(v);
    expect(c.read(k).n).toBe(1);
  });
});

describe("scheduling cycle", () => {
  it("places on the best node; ties go to the first node in order", () => {
    const s = new Scheduler([makeNode("a", { gpus: 8 }), makeNode("b", { gpus: 8 })], {
      profile: policyProfile("bestfit"),
    });
    const d = s.placeNow(makePod("p1", { share: 500 }));
    expect(d.ok && d.allocation.node).toBe("a");
    const d2 = s.placeNow(makePod("p2", { share: 500 }));
    expect(d2.ok && d2.allocation).toMatchObject({ node: "a", gpus: [{ index: 0, milli: 500 }] });
  });

  it("explains why nothing fits, counting nodes per reason", () => {
    const s = new Scheduler(
      [makeNode("a", { gpus: 1 }), makeNode("b", { gpus: 0 }), makeNode("c", { gpus: 1, cpuMilli: 500 })],
      {
        profile: policyProfile("default"),
      },
    );
    const d = s.placeNow(makePod("p", { gpus: 2 }));
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.status.code).toBe(Code.Unschedulable);
    expect(d.status.message()).toMatch(/0\/3 nodes are available/);
    expect(d.status.message()).toMatch(/1 × Insufficient CPU/);
    expect(d.status.message()).toMatch(/1 × node has no GPUs/);
    expect(d.status.message()).toMatch(/1 × not enough free whole GPUs/);
  });

  it("says when a node's every GPU is unhealthy (or its agent gone), and that no preemption helps there", () => {
    const sick = makeNode("sick", { gpus: 2 });
    const s = new Scheduler(
      [
        {
          ...sick,
          gpus: sick.gpus.map((g) => ({
            ...g,
            unhealthy: "the gpupool agent on sick stopped renewing its lease",
          })),
        },
      ],
      { profile: policyProfile("default") },
    );
    const d = s.placeNow(makePod("p", { share: 250 }));
    expect(!d.ok && d.status.code).toBe(Code.UnschedulableAndUnresolvable);
    expect(!d.ok && d.status.message()).toMatch(
      /1 × every GPU of the node is unhealthy or its agent is gone/,
    );
  });

  it("a node that takes no more pods (Kubernetes' allocatable pods) fits nothing more, whatever its room", () => {
    const s = new Scheduler(
      [
        { ...makeNode("a", { gpus: 8 }), pods: 1 },
        { ...makeNode("b", { gpus: 8 }), pods: 0 },
      ],
      {
        profile: policyProfile("default"),
      },
    );
    const d1 = s.placeNow(makePod("p1", { share: 100 }));
    expect(d1.ok && d1.allocation.node).toBe("a");
    const d2 = s.placeNow(makePod("p2", { share: 100 }));
    expect(!d2.ok && d2.status.message()).toMatch(/0\/2 nodes are available: 2 × Too many pods/);
  });

  it("reports unresolvable when no node could ever fit", () => {
    const s = new Scheduler([makeNode("a", { gpus: 1, model: "T4" })], { profile: policyProfile("default") });
    const d = s.placeNow(makePod("p", { share: 100, gpuModels: ["A100-80GB"] }));
    expect(!d.ok && d.status.code).toBe(Code.UnschedulableAndUnresolvable);
  });

  it("a statement rolls back every placement after its checkpoint", () => {
    const s = new Scheduler([makeNode("a", { gpus: 2 })], { profile: policyProfile("default") });
    const stmt = s.statement();
    expect(s.place(makePod("p1", { gpus: 1 }), stmt).ok).toBe(true);
    const cp = stmt.checkpoint();
    expect(s.place(makePod("p2", { gpus: 1 }), stmt).ok).toBe(true);
    expect(s.snapshot.node("a")!.fullyFree).toBe(0);
    stmt.rollback(cp);
    expect(s.snapshot.node("a")!.fullyFree).toBe(1);
    expect(s.snapshot.placement("p2")).toBeUndefined();
    expect(s.snapshot.placement("p1")?.allocation.node).toBe("a");
  });

  it("Status text is computed lazily and only once", () => {
    let calls = 0;
    const st = new Status(Code.Unschedulable, () => {
      calls++;
      return ["x"];
    });
    expect(calls).toBe(0);
    expect(st.message()).toBe("x");
    st.message();
    expect(calls).toBe(1);
  });
});

/**
 * The equivalence cache and the incremental selection must never change a decision: the same
 * sequence of placements and removals gives the same placements as a profile whose plugins opt out
 * of caching (the plain scan).
 */
describe("cached and incremental selection agree with the plain scan", () => {
  /** The builtin registry with every filter marked non-cacheable, which forces the plain scan. */
  const uncachedRegistry = (policy: "fgd" | "default" | "bestfit") => {
    const r = builtinRegistry();
    const filters = policyProfile(policy).filter ?? [];
    const wrapped = new Registry();
    for (const name of r.names()) {
      wrapped.register(name, {
        args: z.unknown(),
        factory: (args, h) => {
          const inner = r.build(name, args, h);
          return filters.includes(name)
            ? Object.assign(Object.create(Object.getPrototypeOf(inner)), inner, { cacheable: false })
            : inner;
        },
      });
    }
    return wrapped;
  };

  const podArb = fc.oneof(
    fc.record({
      kind: fc.constant("share" as const),
      milli: fc.constantFrom(100, 250, 470, 500, 810),
      cpu: fc.constantFrom(1000, 4000, 12000),
    }),
    fc.record({
      kind: fc.constant("whole" as const),
      count: fc.constantFrom(1, 2, 4),
      cpu: fc.constantFrom(1000, 8000),
    }),
    fc.record({ kind: fc.constant("none" as const), cpu: fc.constantFrom(2000, 16000) }),
  );
  const opArb = fc.oneof(
    { weight: 4, arbitrary: podArb.map((p) => ({ op: "add" as const, p })) },
    { weight: 1, arbitrary: fc.nat().map((k) => ({ op: "remove" as const, k })) },
  );

  // "online": both learn the typical pods from the pods they see, so scores change at each new
  // statistics version and the cached path must drop what it remembered exactly then.
  for (const [policy, stats] of [
    ["fgd", "fixed"],
    ["default", "fixed"],
    ["bestfit", "fixed"],
    ["fgd", "online"],
    ["default", "online"],
  ] as const) {
    it(`${policy} (${stats} typical pods)`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 24 }), (ops, nodeCount) => {
          const nodes = Array.from({ length: nodeCount }, (_, i) =>
            makeNode(`n${i}`, {
              gpus: [1, 2, 4, 8][i % 4],
              cpuMilli: 32000 + 16000 * (i % 3),
              model: i % 2 ? "T4" : "A100-80GB",
            }),
          );
          const typicalPods =
            stats === "online"
              ? []
              : [
                  { cpuMilli: 1000, memoryMiB: 0, gpuMilli: 500, gpuCount: 1, models: [], weight: 2 },
                  { cpuMilli: 4000, memoryMiB: 0, gpuMilli: 1000, gpuCount: 2, models: [], weight: 1 },
                ];
          const a = new Scheduler(nodes, { profile: policyProfile(policy, { typicalPods }), seed: 3 });
          const b = new Scheduler(nodes, {
            profile: policyProfile(policy, { typicalPods }),
            registry: uncachedRegistry(policy),
            seed: 3,
          });
          const placed: string[] = [];
          let id = 0;
          for (const o of ops) {
            if (o.op === "remove") {
              if (placed.length === 0) continue;
              const victim = placed.splice(o.k % placed.length, 1)[0]!;
              for (const s of [a, b]) {
                const st = s.statement();
                st.evict(victim);
                st.commit();
              }
              continue;
            }
            const p = o.p;
            const gpu: Workload["gpu"] =
              p.kind === "share"
                ? { kind: "share", milli: p.milli, memoryMiB: 0 }
                : p.kind === "whole"
                  ? { kind: "whole", count: p.count }
                  : { kind: "none" };
            const pod: Workload = { id: `p${id++}`, cpuMilli: p.cpu, memoryMiB: 1024, gpu };
            const da = a.placeNow(pod);
            const db = b.placeNow(pod);
            if (da.ok !== db.ok) return false;
            if (da.ok && db.ok) {
              if (JSON.stringify(da.allocation) !== JSON.stringify(db.allocation)) return false;
              placed.push(pod.id);
            }
          }
          return true;
        }),
        { numRuns: 60 },
      );
    });
  }
});
