import { describe, it } from "vitest";
import { makeNode, makePod } from "../test-support/builders.js";
import { expectScenario } from "../test-support/expect-scenario.js";
import type { Scenario } from "../test-support/scenario.js";

/** Queues (tenants): guarantees, borrowing idle capacity by weight, reclaim, limits, priority preemption. */
const gpu = (id: string, queue: string, seq: number, extra: Parameters<typeof makePod>[1] = {}) =>
  makePod(id, { gpus: 1, queue, seq, ...extra });

const SCENARIOS: Scenario[] = [
  {
    name: "a tenant borrows idle GPUs and gives back its owner's guarantee when asked",
    nodes: [makeNode("n1", { gpus: 4 })],
    queues: [
      { name: "research", guarantee: { gpuMilli: 2000 } },
      { name: "batch", guarantee: { gpuMilli: 1000 } },
    ],
    steps: [
      {
        submit: [gpu("b1", "batch", 1), gpu("b2", "batch", 2), gpu("b3", "batch", 3), gpu("b4", "batch", 4)],
        expect: { b1: "n1", b2: "n1", b3: "n1", b4: "n1" },
      },
      {
        submit: [gpu("r1", "research", 5), gpu("r2", "research", 6), gpu("r3", "research", 7)],
        // research takes back its 2 GPUs (newest borrowers first); r3 would be borrowing: it waits.
        expect: { r1: "n1", r2: "n1", r3: "pending", b1: "n1", b2: "n1" },
        expectEvicted: ["b3", "b4"],
      },
    ],
  },
  {
    name: "idle capacity goes to the lighter borrower per unit of weight",
    nodes: [makeNode("n1", { gpus: 4 })],
    queues: [
      { name: "heavy", weight: 3 },
      { name: "light", weight: 1 },
    ],
    steps: [
      {
        submit: [
          gpu("l1", "light", 1),
          gpu("l2", "light", 2),
          gpu("l3", "light", 3),
          gpu("h1", "heavy", 4),
          gpu("h2", "heavy", 5),
          gpu("h3", "heavy", 6),
        ],
        expect: { l1: "n1", l2: "pending", l3: "pending", h1: "n1", h2: "n1", h3: "n1" },
      },
    ],
  },
  {
    name: "a limit caps a queue even when GPUs are idle",
    nodes: [makeNode("n1", { gpus: 4 })],
    queues: [{ name: "capped", limit: { gpuMilli: 1500 } }],
    steps: [
      {
        submit: [
          makePod("c1", { share: 1000, queue: "capped", seq: 1 }),
          makePod("c2", { share: 500, queue: "capped", seq: 2 }),
          makePod("c3", { share: 100, queue: "capped", seq: 3 }),
        ],
        expect: { c1: "n1", c2: "n1", c3: "pending" },
        expectReason: { c3: "over quota: queue capped limit gpu 1500m" },
      },
    ],
  },
  {
    name: "priority preemption inside a queue; never across an owner's guarantee",
    nodes: [makeNode("n1", { gpus: 2 })],
    queues: [
      { name: "prod", guarantee: { gpuMilli: 1000 } },
      { name: "dev", guarantee: { gpuMilli: 1000 } },
    ],
    steps: [
      {
        submit: [
          gpu("dev-low", "dev", 1, { priority: -100 }),
          gpu("prod-low", "prod", 2, { priority: -100 }),
        ],
        expect: { "dev-low": "n1", "prod-low": "n1" },
      },
      {
        // prod-urgent may preempt prod's own low job, not dev's (dev is at its guarantee).
        submit: [gpu("prod-urgent", "prod", 3, { priority: 1000 })],
        expect: { "prod-urgent": "n1", "dev-low": "n1", "prod-low": "pending" },
        expectEvicted: ["prod-low"],
      },
    ],
  },
];

describe("scenarios: queues", () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))("%s", (_name, sc) => expectScenario(sc));
});
