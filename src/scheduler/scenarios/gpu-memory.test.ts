import { describe, it } from "vitest";
import { makeNode, makePod } from "../test-support/builders.js";
import { expectScenario } from "../test-support/expect-scenario.js";
import type { Scenario } from "../test-support/scenario.js";

/** GPU-memory fit of shares: compute left on a GPU is not enough when its memory is taken. */
const SCENARIOS: Scenario[] = [
  {
    name: "a share that asks more GPU memory than is left waits, though compute is free; a smaller one fits",
    nodes: [makeNode("n1", { gpus: 1 })],
    steps: [
      {
        submit: [makePod("big", { share: 250, gpuMemoryMiB: 60 * 1024, seq: 1 })],
        expect: { big: "n1" },
        expectGpus: { big: [0] },
      },
      {
        submit: [
          makePod("too-much", { share: 250, gpuMemoryMiB: 30 * 1024, seq: 2 }),
          makePod("fits", { share: 250, gpuMemoryMiB: 20 * 1024, seq: 3 }),
        ],
        expect: { "too-much": "pending", fits: "n1" },
      },
    ],
  },
  {
    name: "the memory-heavy share goes to the GPU that still has the memory",
    nodes: [makeNode("n1", { gpus: 2 })],
    steps: [
      {
        submit: [makePod("a", { share: 100, gpuMemoryMiB: 70 * 1024, seq: 1 })],
        expect: { a: "n1" },
        expectGpus: { a: [0] },
      },
      {
        submit: [makePod("b", { share: 100, gpuMemoryMiB: 40 * 1024, seq: 2 })],
        expect: { b: "n1" },
        expectGpus: { b: [1] },
      },
    ],
  },
];

describe("GPU memory of shares", () => {
  for (const s of SCENARIOS) it(s.name, () => expectScenario(s));
});
