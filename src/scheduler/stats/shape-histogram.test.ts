import { describe, expect, it } from "vitest";
import { type PodShape, ShapeHistogram, shapeKeyOf, totalVariation } from "./shape-histogram.js";

const shape = (
  cpuMilli: number,
  gpuMilli: number,
  gpuCount = 1,
  memoryMiB = 0,
  models: string[] = [],
): PodShape => ({
  cpuMilli,
  memoryMiB,
  gpuMilli,
  gpuCount,
  models,
});

const A = shape(4000, 500);
const B = shape(8000, 1000, 2);
const C = shape(2000, 0, 0);

describe("ShapeHistogram", () => {
  it("without decay, counts: most frequent first, weights summing to 1, ties by key", () => {
    const h = new ShapeHistogram();
    for (const s of [A, B, A, C, A, B]) h.observe(s);
    const t = h.typical(1);
    expect(t.map((x) => [x.cpuMilli, x.weight])).toEqual([
      [4000, 3 / 6],
      [8000, 2 / 6],
      [2000, 1 / 6],
    ]);
    expect(h.observed).toBe(6);
    expect(h.size).toBe(3);
    const tie = new ShapeHistogram();
    tie.observe(B);
    tie.observe(A);
    // Equal weights: the smaller key first, whatever the order of arrival.
    expect(tie.typical(1).map((x) => shapeKeyOf(x))).toEqual([shapeKeyOf(A), shapeKeyOf(B)].sort());
  });

  it("stops at the coverage, as FGD's typical pods do", () => {
    const h = new ShapeHistogram();
    for (let i = 0; i < 90; i++) h.observe(A);
    for (let i = 0; i < 6; i++) h.observe(B);
    for (let i = 0; i < 4; i++) h.observe(C);
    expect(h.typical(0.9).map((x) => x.cpuMilli)).toEqual([4000]);
    expect(h.typical(0.95).map((x) => x.cpuMilli)).toEqual([4000, 8000]);
    expect(h.typical(1).map((x) => x.cpuMilli)).toEqual([4000, 8000, 2000]);
  });

  it("groups by CPU, GPU milli, count and models; memory is the mean of the group", () => {
    const h = new ShapeHistogram();
    h.observe(shape(4000, 500, 1, 1000));
    h.observe(shape(4000, 500, 1, 3000));
    h.observe(shape(4000, 500, 1, 1000, ["T4"]));
    const t = h.typical(1);
    expect(t).toHaveLength(2);
    expect(t[0]).toMatchObject({ memoryMiB: 2000, models: [], weight: 2 / 3 });
    expect(t[1]).toMatchObject({ models: ["T4"], weight: 1 / 3 });
  });

  it("decays: a pod seen halfLife pods ago weighs half of the latest", () => {
    const h = new ShapeHistogram(100);
    h.observe(A);
    for (let i = 0; i < 100; i++) h.observe(B);
    const d = h.distribution();
    // A weighs 2^-100/100 = 1/2 of B's newest pod; B's 100 pods sum a geometric series.
    let bMass = 0;
    for (let i = 0; i < 100; i++) bMass += 2 ** (-i / 100);
    expect(d.get(shapeKeyOf(A))!).toBeCloseTo(0.5 / (0.5 + bMass), 12);
    expect(h.effective).toBeCloseTo(0.5 + bMass, 9);
  });

  it("follows a shift in the workload and forgets the old one", () => {
    const h = new ShapeHistogram(50);
    for (let i = 0; i < 500; i++) h.observe(A);
    for (let i = 0; i < 500; i++) h.observe(B);
    expect(h.typical(0.95).map((x) => x.cpuMilli)).toEqual([8000]);
  });

  it("stays finite over very many observations (the increment is rescaled)", () => {
    const h = new ShapeHistogram(1);
    for (let i = 0; i < 5000; i++) h.observe(i % 2 ? A : B);
    const d = h.distribution();
    const sum = [...d.values()].reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 12);
    // Half-life 1: the last pod (A, i = 4999) weighs 2/3 of the mass, as 1 / (1 + 1/2 + 1/4 …) says.
    expect(d.get(shapeKeyOf(A))!).toBeCloseTo(2 / 3, 9);
    expect(Number.isFinite(h.effective)).toBe(true);
  });

  it("refuses a half-life that is not positive", () => {
    expect(() => new ShapeHistogram(0)).toThrow(RangeError);
  });
});

describe("totalVariation", () => {
  it("is half the L1 distance, keys missing on one side count fully", () => {
    const p = new Map([
      ["a", 0.5],
      ["b", 0.5],
    ]);
    const q = new Map([
      ["a", 0.25],
      ["c", 0.75],
    ]);
    expect(totalVariation(p, q)).toBeCloseTo(0.75, 12);
    expect(totalVariation(q, p)).toBeCloseTo(0.75, 12);
    expect(totalVariation(p, p)).toBe(0);
  });
});
