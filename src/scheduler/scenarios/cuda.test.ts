import { describe, it } from "vitest";
import { makeNode, makePod } from "../test-support/builders.js";
import { expectScenario } from "../test-support/expect-scenario.js";
import type { Scenario } from "../test-support/scenario.js";

/**
 * CUDA filtering against node drivers (GPU-FACTS rules): full compatibility from the toolkit's GA
 * driver, minor-version compatibility within a major from its family minimum (12.x: 525.60.13),
 * forward compatibility (cuda-compat in the image) only on datacenter GPUs.
 */
const n470 = makeNode("a100-470", { gpus: 1, driver: "470.82.01" });
const n535 = makeNode("a100-535", { gpus: 1, driver: "535.104.05" });
const n550 = makeNode("a100-550", { gpus: 1, driver: "550.54.14" });
const rtx = makeNode("rtx-550", { gpus: 1, model: "RTX-3090", driver: "550.54.14" });

/** One job per row, alone on the listed nodes. */
const ROWS: [
  name: string,
  nodes: (typeof n470)[],
  job: ReturnType<typeof makePod>,
  where: string,
  reason?: string,
][] = [
  [
    "12.4 skips the 470 driver and runs on 535 (minor-version compatibility)",
    [n470, n535],
    makePod("j", { gpus: 1, cuda: { version: "12.4" } }),
    "a100-535",
  ],
  [
    "12.4 on 550 is fully compatible",
    [n470, n550],
    makePod("j", { share: 500, cuda: { version: "12.4" } }),
    "a100-550",
  ],
  [
    "12.4 without cuda-compat cannot run on 470",
    [n470],
    makePod("j", { gpus: 1, cuda: { version: "12.4" } }),
    "pending",
    "driver 470.82.01 cannot run CUDA 12.4",
  ],
  [
    "12.4 with cuda-compat runs on 470 (datacenter forward compatibility)",
    [n470],
    makePod("j", { gpus: 1, cuda: { version: "12.4", forwardCompat: true } }),
    "a100-470",
  ],
  [
    "13.0 with cuda-compat: datacenter A100, not GeForce",
    [rtx, n550],
    makePod("j", { gpus: 1, cuda: { version: "13.0", forwardCompat: true } }),
    "a100-550",
  ],
  [
    "13.0 without cuda-compat runs nowhere below 580",
    [n535, n550, rtx],
    makePod("j", { gpus: 1, cuda: { version: "13.0" } }),
    "pending",
    "cannot run CUDA 13.0",
  ],
  [
    "a GPU-less pod ignores its CUDA requirement",
    [makeNode("cpu")],
    makePod("j", { cuda: { version: "13.0" } }),
    "cpu",
  ],
];

const SCENARIOS: Scenario[] = ROWS.map(([name, nodes, job, where, reason]) => ({
  name,
  nodes,
  steps: [{ submit: [job], expect: { j: where }, ...(reason ? { expectReason: { j: reason } } : {}) }],
}));

describe("scenarios: CUDA filtering", () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))("%s", (_name, sc) => expectScenario(sc));
});
