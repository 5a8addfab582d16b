import { describe, it } from "vitest";
import { makeNode, makePod } from "../test-support/builders.js";
import { expectScenario } from "../test-support/expect-scenario.js";
import type { Scenario } from "../test-support/scenario.js";

/** NVLink-aware multi-GPU placement: whole-GPU jobs of 2 and 4 GPUs on nodes with and without NVLink. */
const SCENARIOS: Scenario[] = [
  {
    name: "a 2-GPU job takes an NVLink pair, skipping the broken pair",
    nodes: [makeNode("n1", { gpus: 4, nvlink: "pairs" })],
    steps: [
      { submit: [makePod("one", { gpus: 1, seq: 1 })], expect: { one: "n1" }, expectGpus: { one: [0] } },
      {
        submit: [makePod("two", { gpus: 2, seq: 2, nvlink: "required" })],
        expect: { two: "n1" },
        expectGpus: { two: [2, 3] },
      },
    ],
  },
  {
    name: "a 4-GPU job takes a fully linked quad of an 8-GPU node",
    nodes: [
      makeNode("dgx", {
        gpus: 8,
        nvlink: [
          [0, 1, 2, 3],
          [4, 5, 6, 7],
        ],
      }),
    ],
    steps: [
      { submit: [makePod("one", { gpus: 1, seq: 1 })], expect: { one: "dgx" }, expectGpus: { one: [0] } },
      {
        submit: [
          makePod("quad", { gpus: 4, seq: 2, nvlink: "required" }),
          makePod("quad2", { gpus: 4, seq: 3, nvlink: "required" }),
        ],
        expect: { quad: "dgx", quad2: "pending" },
        expectGpus: { quad: [4, 5, 6, 7] },
        expectReason: { quad2: "not enough free whole GPUs" },
      },
    ],
  },
  {
    name: "required waits for NVLink; preferred favours NVLink nodes but accepts PCIe",
    nodes: [makeNode("pcie", { gpus: 4 }), makeNode("nvl", { gpus: 4, nvlink: "pairs" })],
    steps: [
      {
        submit: [
          makePod("req-a", { gpus: 2, seq: 1, nvlink: "required" }),
          makePod("pref-b", { gpus: 2, seq: 2 }),
          makePod("req-c", { gpus: 2, seq: 3, nvlink: "required" }),
          makePod("pref-d", { gpus: 2, seq: 4, nvlink: "preferred" }),
        ],
        expect: { "req-a": "nvl", "pref-b": "nvl", "req-c": "pending", "pref-d": "pcie" },
        expectGpus: { "req-a": [0, 1], "pref-b": [2, 3], "pref-d": [0, 1] },
        expectReason: { "req-c": "no NVLink-connected set of free GPUs" },
      },
      // The NVLink node frees a pair: the waiting required job gets it.
      { finish: ["req-a"], expect: { "req-c": "nvl" }, expectGpus: { "req-c": [0, 1] } },
    ],
  },
];

describe("scenarios: NVLink", () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))("%s", (_name, sc) => expectScenario(sc));
});
