import { describe, expect, it } from "vitest";
import { admit, type HostCapabilities } from "./admission.js";
import type { NormalizedSpec } from "./job-spec.js";
import { testSpec } from "./test-support/normalized-spec.js";
import type { GpuDevice } from "./node.js";

/** Admission as a table: (spec, host capabilities) → admitted, or the code it is refused with. */

const spec = (extra: Partial<NormalizedSpec>): NormalizedSpec =>
  testSpec({ gpu: { kind: "whole", count: 1 }, ...extra });

const gpu = (extra: Partial<GpuDevice> = {}): GpuDevice => ({
  index: 0,
  model: "A100-80GB",
  memoryMiB: 81_920,
  ...extra,
});
const host = (
  gpus: GpuDevice[],
  isolation: Partial<HostCapabilities["isolation"]> = {},
): HostCapabilities => ({
  nodes: [{ name: "n", cpuMilli: 8000, memoryMiB: 65_536, gpus }],
  isolation: {
    sandbox: { runtime: "runsc", gpuDevices: false },
    vm: { unavailable: "isolation vm has no OCI runtime configured on this host" },
    ...isolation,
  },
});

const code = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe("admit", () => {
  const rows: [string, Partial<NormalizedSpec>, HostCapabilities, string | undefined][] = [
    ["a container job on real GPUs", {}, host([gpu()]), undefined],
    [
      "a sandboxed GPU job on simulated GPUs",
      { isolation: "sandbox" },
      host([gpu({ simulated: true })]),
      undefined,
    ],
    [
      "a sandboxed GPU job on real GPUs, runsc without nvproxy",
      { isolation: "sandbox" },
      host([gpu()]),
      "GP_RUNTIME_UNAVAILABLE",
    ],
    [
      "a sandboxed GPU job on real GPUs, runsc with nvproxy",
      { isolation: "sandbox" },
      host([gpu()], { sandbox: { runtime: "runsc", gpuDevices: true } }),
      undefined,
    ],
    [
      "a sandboxed CPU job on real GPUs",
      { isolation: "sandbox", gpu: { kind: "none" } },
      host([gpu()]),
      undefined,
    ],
    ["isolation vm with no VM runtime", { isolation: "vm" }, host([gpu()]), "GP_RUNTIME_UNAVAILABLE"],
    [
      "isolation vm with a VM runtime",
      { isolation: "vm" },
      host([gpu()], { vm: { runtime: "kata", gpuDevices: true } }),
      undefined,
    ],
    [
      "a MIG job on a real MIG-enabled GPU (no instances are created yet)",
      { gpu: { kind: "mig", profile: "1g.10gb" } },
      host([gpu({ migEnabled: true })]),
      "GP_MIG_UNSUPPORTED",
    ],
    [
      "a MIG job on simulated MIG GPUs",
      { gpu: { kind: "mig", profile: "1g.10gb" } },
      host([gpu({ migEnabled: true, simulated: true })]),
      undefined,
    ],
  ];
  for (const [name, s, h, want] of rows)
    it(`${name}: ${want ?? "admitted"}`, () => expect(code(() => admit(spec(s), h))).toBe(want));
});
