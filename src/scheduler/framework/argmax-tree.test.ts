import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArgmaxTree } from "./argmax-tree.js";

function naive(values: number[]): number {
  let best = -1;
  for (let i = 0; i < values.length; i++)
    if (values[i]! > Number.NEGATIVE_INFINITY && (best < 0 || values[i]! > values[best]!)) best = i;
  return best;
}

describe("ArgmaxTree", () => {
  it("is empty when nothing is feasible", () => {
    expect(new ArgmaxTree(5).best()).toBe(-1);
  });

  it("agrees with a linear scan (highest value, lowest position on ties) under random updates", () => {
    const value = fc.oneof(fc.constant(Number.NEGATIVE_INFINITY), fc.integer({ min: 0, max: 5 }));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.tuple(fc.nat(), value), { maxLength: 200 }),
        (n, updates) => {
          const tree = new ArgmaxTree(n);
          const shadow = new Array<number>(n).fill(Number.NEGATIVE_INFINITY);
          for (const [pos, v] of updates) {
            tree.set(pos % n, v);
            shadow[pos % n] = v;
            if (tree.best() !== naive(shadow)) return false;
          }
          return true;
        },
      ),
    );
  });
});
