import { describe, expect, it } from "vitest";
import { neverFits } from "./feasibility.js";
import type { NormalizedSpec } from "./job-spec.js";
import { testSpec } from "./test-support/normalized-spec.js";
import type { GpuDevice, NodeSpec } from "./node.js";

/** Jobs that could never be placed are told so, with the numbers; jobs that may fit later are not. */

const spec = (extra: Partial<NormalizedSpec>): NormalizedSpec => testSpec(extra);
const a100 = (index: number, extra: Partial<GpuDevice> = {}): GpuDevice => ({
  index,
  model: "A100-80GB",
  memoryMiB: 81_920,
  ...extra,
});
const host = (gpus: GpuDevice[]): NodeSpec[] => [{ name: "n", cpuMilli: 2000, memoryMiB: 8192, gpus }];
const two = host([a100(0), a100(1)]);

describe("neverFits", () => {
  const rows: [string, Partial<NormalizedSpec>, NodeSpec[], string | undefined][] = [
    [
      "3 GPUs on a 2-GPU host",
      { gpu: { kind: "whole", count: 3 } },
      two,
      "asks 3 GPUs; the largest node has 2",
    ],
    ["2 GPUs on a 2-GPU host (may fit later)", { gpu: { kind: "whole", count: 2 } }, two, undefined],
    [
      "100Gi of GPU memory on 80 GB GPUs",
      { gpu: { kind: "share", milli: 250, memoryMiB: 102_400 } },
      two,
      "asks 102400 MiB of GPU memory; the largest GPU has 81920 MiB",
    ],
    [
      "a model nobody offers",
      { gpu: { kind: "whole", count: 1 }, gpuModels: ["H100-80GB"] },
      two,
      "asks a GPU of model H100-80GB; this host has A100-80GB",
    ],
    ["more CPU than the host", { cpuMilli: 4000 }, two, "asks 4 CPUs; the largest node has 2"],
    [
      "more memory than the host",
      { memoryMiB: 16_384 },
      two,
      "asks 16384 MiB of memory; the largest node has 8192 MiB",
    ],
    [
      "a MIG profile on GPUs without MIG",
      { gpu: { kind: "mig", profile: "1g.10gb" } },
      two,
      "asks MIG instance 1g.10gb; no MIG-enabled GPU here offers it (MIG-enabled: none)",
    ],
    [
      "a MIG profile a MIG-enabled A100 offers",
      { gpu: { kind: "mig", profile: "1g.10gb" } },
      host([a100(0, { migEnabled: true })]),
      undefined,
    ],
    [
      "a gang larger than the host",
      { gpu: { kind: "whole", count: 1 }, replicas: 64 },
      two,
      "gang of 64 asks 64 GPUs at once; this host has 2",
    ],
    ["a gang that fits", { gpu: { kind: "whole", count: 1 }, replicas: 2 }, two, undefined],
    ["a CPU job on a GPU-less host", {}, host([]), undefined],
  ];
  for (const [name, s, nodes, want] of rows) it(name, () => expect(neverFits(spec(s), nodes)).toBe(want));
});
