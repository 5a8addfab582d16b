import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Workload } from "../../core/workload.js";
import { makePod } from "../test-support/builders.js";
import { ShapeHistogram } from "./shape-histogram.js";
import { WorkloadStats, workloadShape } from "./workload-stats.js";

describe("workloadShape", () => {
  it("maps each GPU request to (CPU, per-GPU milli, GPU count, models)", () => {
    expect(workloadShape(makePod("a", { cpuMilli: 4000, memoryMiB: 8, share: 250 }))).toEqual({
      cpuMilli: 4000,
      memoryMiB: 8,
      gpuMilli: 250,
      gpuCount: 1,
      models: [],
    });
    expect(workloadShape(makePod("b", { gpus: 4, gpuModels: ["T4"] }))).toMatchObject({
      gpuMilli: 1000,
      gpuCount: 4,
      models: ["T4"],
    });
    expect(workloadShape(makePod("c"))).toMatchObject({ gpuMilli: 0, gpuCount: 0 });
    expect(workloadShape(makePod("d", { mig: "1g.10gb" }))).toBeNull();
  });
});

describe("WorkloadStats", () => {
  it("counts a workload once however often it is offered", () => {
    const s = new WorkloadStats();
    const p = makePod("p", { share: 500 });
    expect(s.observe(p)).toBe(true);
    expect(s.observe(p)).toBe(false);
    expect(s.observed).toBe(1);
    expect(s.current.typical).toHaveLength(1);
  });

  it("has nothing to say before the first pod, and publishes at once after it", () => {
    const s = new WorkloadStats();
    expect(s.version).toBe(0);
    expect(s.current.typical).toEqual([]);
    s.observe(makePod("p", { gpus: 2 }));
    expect(s.version).toBe(1);
    expect(s.current).toMatchObject({ observed: 1, typical: [{ gpuCount: 2, weight: 1 }] });
  });

  it("publishes rarely on a steady workload and again when it shifts", () => {
    const s = new WorkloadStats({ halfLife: 2000 });
    const mix = [{ share: 500 }, { share: 500 }, { gpus: 1 }, { gpus: 8, cpuMilli: 64000 }, {}];
    let id = 0;
    for (let i = 0; i < 20_000; i++) s.observe(makePod(`p${id++}`, mix[i % mix.length]));
    const steady = s.version;
    // Warm-up looks at 1, 2, 3, 5, 8, 12… pods; once the mix is learnt nothing moves.
    expect(steady).toBeLessThan(15);
    for (let i = 0; i < 1000; i++) s.observe(makePod(`p${id++}`, mix[i % mix.length]));
    expect(s.version).toBe(steady);
    for (let i = 0; i < 4000; i++) s.observe(makePod(`p${id++}`, { share: 100 }));
    expect(s.version).toBeGreaterThan(steady);
    expect(s.current.typical[0]).toMatchObject({ gpuMilli: 100, gpuCount: 1 });
  });

  it("forgets the oldest ids past rememberIds", () => {
    const s = new WorkloadStats({ rememberIds: 2 });
    const [a, b, c] = ["a", "b", "c"].map((id) => makePod(id, { share: 100 }));
    s.observe(a!);
    s.observe(b!);
    s.observe(c!);
    expect(s.observe(b!)).toBe(false);
    expect(s.observe(a!)).toBe(true);
  });

  it("never reads ahead: each published version is the histogram of exactly the pods seen before it", () => {
    const podArb = fc.oneof(
      fc.record({ share: fc.constantFrom(100, 250, 500, 810), cpuMilli: fc.constantFrom(1000, 6000) }),
      fc.record({ gpus: fc.constantFrom(1, 2, 8), cpuMilli: fc.constantFrom(4000, 64000) }),
      fc.record({ cpuMilli: fc.constantFrom(2000, 16000), memoryMiB: fc.constantFrom(1024, 4096) }),
    );
    fc.assert(
      fc.property(
        fc.array(podArb, { minLength: 1, maxLength: 300 }),
        fc.constantFrom(50, 1e4),
        (opts, halfLife) => {
          const s = new WorkloadStats({ halfLife });
          const pods: Workload[] = opts.map((o, i) => makePod(`p${i}`, o));
          for (let i = 0; i < pods.length; i++) {
            s.observe(pods[i]!);
            const cur = s.current;
            expect(cur.observed).toBeLessThanOrEqual(i + 1);
            const h = new ShapeHistogram(halfLife);
            for (const p of pods.slice(0, cur.observed)) h.observe(workloadShape(p)!);
            expect(cur.typical).toEqual(h.typical(0.95));
            expect(cur.demand).toEqual(h.typical(1));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
