import { describe, it } from "vitest";
import { expect } from "vitest";
import type { NodeSpec } from "../../core/node.js";
import { makeNode, makePod } from "../test-support/builders.js";
import { expectScenario } from "../test-support/expect-scenario.js";
import { runScenario, type Scenario } from "../test-support/scenario.js";

/**
 * MIG profiles on MIG-enabled GPUs. A100-40GB: 8 memory slices, 7 compute; 3g.20gb starts at 0 or 4,
 * 2g.10gb at 0/2/4, 1g.10gb at 0/2/4/6. H100-80GB has the 80 GB profile names (3g.40gb, 7g.80gb, …).
 */
const a100 = makeNode("a100", { gpus: 1, model: "A100-40GB", mig: true });
const h100 = makeNode("h100", { gpus: 1, model: "H100-80GB", mig: true });
/** `--simulate 1xA100-80GB:mig,1xA100-80GB`: GPU 0 MIG-enabled, GPU 1 not. */
const mixed: NodeSpec = (() => {
  const n = makeNode("mixed", { gpus: 2, model: "A100-80GB" });
  return { ...n, gpus: n.gpus.map((g) => (g.index === 0 ? { ...g, migEnabled: true } : g)) };
})();
const seven1g = Array.from({ length: 8 }, (_, i) => makePod(`m${i + 1}`, { mig: "1g.10gb", seq: i + 1 }));
const seventhOfEight: Scenario = {
  name: "seven 1g.10gb on one A100-80GB's MIG GPU, the eighth waits (not on the plain GPU); a freed slot takes it",
  nodes: [mixed],
  steps: [
    {
      submit: seven1g,
      expect: Object.fromEntries(seven1g.map((p, i) => [p.id, i < 7 ? "mixed" : "pending"])),
      expectGpus: Object.fromEntries(seven1g.slice(0, 7).map((p) => [p.id, [0]])),
      expectReason: { m8: "no room for the MIG instance" },
    },
    { finish: ["m3"], expect: { m8: "mixed" }, expectGpus: { m8: [0] } },
  ],
};

const SCENARIOS: Scenario[] = [
  {
    name: "a mix of A100-40GB profiles until the geometry is full",
    nodes: [a100],
    steps: [
      {
        submit: [
          makePod("m3g", { mig: "3g.20gb", seq: 1 }),
          makePod("m2g", { mig: "2g.10gb", seq: 2 }),
          makePod("m1g", { mig: "1g.10gb", seq: 3 }),
          makePod("extra", { mig: "1g.5gb", seq: 4 }),
        ],
        expect: { m3g: "a100", m2g: "a100", m1g: "a100", extra: "pending" },
        expectReason: { extra: "no room for the MIG instance" },
      },
      // The 3g instance leaves: its four slices take the 1g.5gb.
      { finish: ["m3g"], expect: { extra: "a100" } },
    ],
  },
  seventhOfEight,
  {
    name: "profile names pick the model: 3g.20gb only on A100-40GB, 3g.40gb only on H100-80GB",
    nodes: [a100, h100],
    steps: [
      {
        submit: [
          makePod("on-h100", { mig: "3g.40gb", seq: 1 }),
          makePod("on-a100", { mig: "3g.20gb", seq: 2 }),
        ],
        expect: { "on-h100": "h100", "on-a100": "a100" },
      },
    ],
  },
  {
    name: "a whole-GPU profile fills the GPU; a profile no GPU has can never run",
    nodes: [h100],
    steps: [
      {
        submit: [
          makePod("full", { mig: "7g.80gb", seq: 1 }),
          makePod("small", { mig: "1g.10gb", seq: 2 }),
          makePod("alien", { mig: "3g.20gb", seq: 3 }),
        ],
        expect: { full: "h100", small: "pending", alien: "pending" },
        expectReason: {
          small: "no room for the MIG instance",
          alien: "no MIG-enabled GPU with that profile",
        },
      },
    ],
  },
  {
    name: "MIG GPUs are not shared by fraction or handed out whole",
    nodes: [a100, makeNode("plain", { gpus: 1, model: "A100-40GB" })],
    steps: [
      {
        submit: [
          makePod("share", { share: 500, seq: 1 }),
          makePod("whole", { gpus: 1, seq: 2 }),
          makePod("inst", { mig: "1g.5gb", seq: 3 }),
        ],
        expect: { share: "plain", whole: "pending", inst: "a100" },
      },
    ],
  },
];

describe("scenarios: MIG", () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))("%s", (_name, sc) => expectScenario(sc));
});

describe("MIG instance slots", () => {
  it("the seven 1g.10gb instances take memory slices 0-6; the eighth takes the slot a finished one freed", () => {
    const [first, second] = runScenario(seventhOfEight);
    const starts = (out: typeof first) =>
      out!.result.bind.map((a) => [a.workloadId, a.gpus.map((g) => g.mig?.start)]);
    expect(starts(first)).toEqual(seven1g.slice(0, 7).map((p, i) => [p.id, [i]]));
    expect(starts(second)).toEqual([["m8", [2]]]);
  });
});
