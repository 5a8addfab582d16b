import { describe, expect, it } from "vitest";
import { makeNode, makePod } from "../test-support/builders.js";
import { expectScenario } from "../test-support/expect-scenario.js";
import { runScenario, type Scenario } from "../test-support/scenario.js";

/**
 * Backfill without starvation. h100 (4 GPUs) runs r1 and r2 (2 GPUs each, H100-only); "big" needs all
 * four H100s. Small 1-GPU jobs keep arriving. They fill the A100 node beside it (backfill), but never
 * the H100s big waits for: when r1 finishes, its two GPUs stay free for big, and big runs as soon as r2
 * finishes, though small jobs were waiting all along.
 */
const H100_ONLY = { gpuModels: ["H100-80GB"] };
const small = (i: number) => makePod(`small${i}`, { gpus: 1, seq: 10 + i });

const STREAM: Scenario = {
  name: "a stream of small jobs does not starve a big one",
  nodes: [
    makeNode("h100", { gpus: 4, model: "H100-80GB" }),
    makeNode("a100", { gpus: 2, model: "A100-80GB" }),
  ],
  steps: [
    {
      submit: [
        makePod("r1", { gpus: 2, seq: 1, ...H100_ONLY }),
        makePod("r2", { gpus: 2, seq: 2, ...H100_ONLY }),
      ],
      expect: { r1: "h100", r2: "h100" },
    },
    {
      submit: [makePod("big", { gpus: 4, seq: 5, ...H100_ONLY }), small(1), small(2), small(3)],
      expect: { big: "pending", small1: "a100", small2: "a100", small3: "pending" },
    },
    // Two H100s are free now, but they are big's: small3 and the newcomers still wait.
    {
      finish: ["r1"],
      submit: [small(4), small(5)],
      expect: { big: "pending", small3: "pending", small4: "pending", small5: "pending" },
      expectReason: { small3: "node h100 is held for big" },
    },
    { finish: ["r2"], expect: { big: "h100" } },
    // Backfill goes on wherever big is not waiting: the A100s free up and the oldest small jobs run.
    { finish: ["small1", "small2"], expect: { small3: "a100", small4: "a100", small5: "pending" } },
  ],
};

/** A gang at the head: each member earmarks its own node, and backfill keeps off both. */
const GANG_HEAD: Scenario = {
  name: "a gang at the head is not starved either",
  nodes: [makeNode("a", { gpus: 2, model: "A100-80GB" }), makeNode("b", { gpus: 2, model: "H100-80GB" })],
  steps: [
    {
      submit: [
        makePod("r1", { gpus: 1, seq: 1, gpuModels: ["A100-80GB"] }),
        makePod("r2", { gpus: 1, seq: 2, gpuModels: ["H100-80GB"] }),
      ],
      expect: { r1: "a", r2: "b" },
    },
    {
      submit: [
        makePod("g-0", { gpus: 2, seq: 5, gang: "g:2" }),
        makePod("g-1", { gpus: 2, seq: 5, gang: "g:2" }),
        small(1),
      ],
      expect: { "g-0": "pending", "g-1": "pending", small1: "pending" },
      expectReason: { small1: "nodes a, b are held for g", "g-0": "waiting for gang g (0/2 placeable)" },
    },
    {
      finish: ["r1"],
      submit: [small(2)],
      expect: { "g-0": "pending", small1: "pending", small2: "pending" },
    },
    { finish: ["r2"], expect: { "g-0": "a", "g-1": "b", small1: "pending" } },
  ],
};

describe("scenarios: backfill", () => {
  it(STREAM.name, () => expectScenario(STREAM));
  it(GANG_HEAD.name, () => expectScenario(GANG_HEAD));

  it("the same stream with backfill off: nothing small runs while big waits", () => {
    const [, second] = runScenario({ ...STREAM, backfill: false });
    expect(second!.where).toMatchObject({
      big: "pending",
      small1: "pending",
      small2: "pending",
      small3: "pending",
    });
  });

  it("control: without big waiting, the H100s r1 frees go to small jobs (what the earmark keeps for big)", () => {
    const outcomes = runScenario({
      ...STREAM,
      steps: [
        STREAM.steps[0]!,
        { submit: [small(1), small(2), small(3)], expect: {} },
        { finish: ["r1"], submit: [small(4), small(5)], expect: {} },
      ],
    });
    expect(outcomes[2]!.where).toMatchObject({ small3: "h100", small4: "h100" });
  });
});
