import { describe, expect, it } from "vitest";
import { parseGpuShareMilli, parseMemoryMiB } from "../core/quantity.js";
import { mpsLimitsForShare, type Slice } from "./slice.js";
import { sliceEnv } from "./slice-env.js";

const G0 = { index: 0, uuid: "GPU-aaaa" };
const G1 = { index: 1, uuid: "GPU-bbbb" };

describe("sliceEnv per slice kind", () => {
  const cases: [string, Slice, Record<string, string | undefined>][] = [
    [
      "whole: two GPUs by UUID",
      { kind: "whole", id: "w", gpus: [G0, G1] },
      {
        NVIDIA_VISIBLE_DEVICES: "GPU-aaaa,GPU-bbbb",
        CUDA_VISIBLE_DEVICES: "GPU-aaaa,GPU-bbbb",
        CUDA_MPS_PIPE_DIRECTORY: undefined,
      },
    ],
    [
      "mig: the MIG UUID, not the parent GPU",
      { kind: "mig", id: "m", gpu: G0, migUuid: "MIG-1234", profile: "1g.10gb" },
      {
        NVIDIA_VISIBLE_DEVICES: "MIG-1234",
        CUDA_VISIBLE_DEVICES: "MIG-1234",
        GPUPOOL_MIG_PROFILE: "1g.10gb",
      },
    ],
    [
      "mps: 25 % and 10 GiB",
      {
        kind: "mps",
        id: "p",
        gpu: G1,
        activeThreadPercentage: 25,
        memoryLimitMiB: 10240,
        pipeDirectory: "/run/gpupool/mps/GPU-bbbb/pipe",
      },
      {
        NVIDIA_VISIBLE_DEVICES: "GPU-bbbb",
        CUDA_MPS_PIPE_DIRECTORY: "/run/gpupool/mps/GPU-bbbb/pipe",
        CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: "25",
        CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: "0=10240M",
      },
    ],
    [
      "mps without a memory limit sets no pinned limit",
      { kind: "mps", id: "p", gpu: G1, activeThreadPercentage: 50, memoryLimitMiB: 0, pipeDirectory: "/p" },
      { CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: "50", CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: undefined },
    ],
    [
      "timeslice: advisory limit and policy, no MPS variables",
      { kind: "timeslice", id: "t", gpu: G0, memoryLimitMiB: 4096, policy: "kill" },
      {
        GPUPOOL_GPU_MEMORY_LIMIT_MIB: "4096",
        GPUPOOL_OVERUSE_POLICY: "kill",
        CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: undefined,
      },
    ],
    [
      "simulated GPUs are marked",
      { kind: "whole", id: "s", gpus: [{ index: 0, uuid: "GPU-SIM-0000-T4", simulated: true }] },
      { GPUPOOL_SIMULATED: "1" },
    ],
  ];
  for (const [what, slice, want] of cases) {
    it(what, () => {
      const env = sliceEnv(slice);
      for (const [k, v] of Object.entries(want)) expect(env[k], k).toBe(v);
      expect(env.GPUPOOL_SLICE_ID).toBe(slice.id);
    });
  }
});

describe("mpsLimitsForShare: request quantities → MPS values", () => {
  it.each([
    ["0.25", "10Gi", 25, 10240],
    ["250m", "0", 25, 0],
    ["0.333", "1.5Gi", 34, 1536],
    ["1", "80Gi", 100, 81920],
    ["0.001", "512Mi", 1, 512],
  ])("gpu %s, memory %s → %i %%, %i MiB", (share, mem, pct, mib) => {
    expect(mpsLimitsForShare(parseGpuShareMilli(share), parseMemoryMiB(mem))).toEqual({
      activeThreadPercentage: pct,
      memoryLimitMiB: mib,
    });
  });

  it("rejects shares outside 1..1000 milli", () => {
    expect(() => mpsLimitsForShare(0, 0)).toThrow(/1\.\.1000/);
    expect(() => mpsLimitsForShare(1001, 0)).toThrow(/1\.\.1000/);
  });
});
