import { describe, expect, it } from "vitest";
import { findGpuModel, GPU_MODELS, requireGpuModel } from "../core/catalog.js";
import { planMig } from "../core/mig-plan.js";
import { inventoryToNodeSpec } from "./node-spec.js";
import { parseSimulateSpec, SIMULATED_DRIVER, simulatedMigUuid, simulateGpus } from "./simulate.js";

describe("simulated GPUs from the catalog", () => {
  it("2xH100-80GB,1xT4: three GPUs, marked simulated everywhere, H100s in one NVLink group", () => {
    const inv = simulateGpus("2xH100-80GB,1xT4");
    expect(inv.simulated).toBe(true);
    expect(inv.source).toBe("simulate:2xH100-80GB,1xT4");
    expect(inv.gpus.map((g) => [g.index, g.model, g.memoryMiB, g.migMode])).toEqual([
      [0, "H100-80GB", 81559, "disabled"],
      [1, "H100-80GB", 81559, "disabled"],
      [2, "T4", 15360, "unsupported"],
    ]);
    for (const g of inv.gpus) {
      expect(g.simulated).toBe(true);
      expect(g.uuid).toMatch(/^GPU-SIM-/);
      expect(g.name).toMatch(/\(simulated\)$/);
      expect(g.driverVersion).toBe(SIMULATED_DRIVER);
    }
    expect(new Set(inv.gpus.map((g) => g.uuid)).size).toBe(3);
    expect(inv.nvlinkGroups).toEqual([[0, 1]]);
  });

  it.each([
    ["H200", [{ count: 1, model: "H200", mig: false }]],
    ["2 x a100-80gb", [{ count: 2, model: "A100-80GB", mig: false }]],
    [
      "1xTesla T4, 3xL4",
      [
        { count: 1, model: "T4", mig: false },
        { count: 3, model: "L4", mig: false },
      ],
    ],
    ["2xA100-80GB:mig", [{ count: 2, model: "A100-80GB", mig: true }]],
    ["h200 : MIG", [{ count: 1, model: "H200", mig: true }]],
    [
      "1xA100-80GB:mig,1xA100-80GB",
      [
        { count: 1, model: "A100-80GB", mig: true },
        { count: 1, model: "A100-80GB", mig: false },
      ],
    ],
  ])("parses %j", (spec, want) => {
    expect(parseSimulateSpec(spec)).toEqual(want);
  });

  it.each([
    ["", /GP|--simulate needs/],
    ["2xMI300X", /unknown GPU model "MI300X"/],
    ["0xT4", /count from 1 to 64/],
    ["1xT4:mig", /T4 has no MIG; models with MIG: A100-40GB, A100-80GB, A30, H100-80GB, H100-PCIe, H100-NVL/],
    ["1xGB300:mig", /GB300 has no MIG/],
    ["2xA100-80GB:mps", /the only suffix is :mig .*got ":mps"/],
    ["2xA100-80GB:", /the only suffix is :mig/],
  ])("rejects %j", (spec, message) => {
    expect(() => parseSimulateSpec(spec)).toThrow(message);
  });

  it("2xA100-80GB:mig: MIG mode enabled with no instances yet; the scheduler's node has MIG GPUs", () => {
    const inv = simulateGpus("2xA100-80GB:mig,1xA100-80GB");
    expect(inv.gpus.map((g) => [g.model, g.migMode, g.migDevices.length])).toEqual([
      ["A100-80GB", "enabled", 0],
      ["A100-80GB", "enabled", 0],
      ["A100-80GB", "disabled", 0],
    ]);
    // Entries are NVLink groups of their own: the MIG pair is one, the plain GPU none.
    expect(inv.nvlinkGroups).toEqual([[0, 1]]);
    const node = inventoryToNodeSpec(inv, { name: "h", cpuMilli: 2000, memoryMiB: 4096 });
    expect(node.gpus.map((g) => [g.migEnabled, g.simulated])).toEqual([
      [true, true],
      [true, true],
      [false, true],
    ]);
  });

  it("simulated MIG UUIDs name the GPU, the profile and the start slice, and say SIM", () => {
    const [gpu] = simulateGpus("1xA100-80GB:mig").gpus;
    expect(simulatedMigUuid(gpu!.uuid, { profile: "1g.10gb", start: 3 })).toBe(
      "MIG-SIM-0000-A100-80GB-1g.10gb-3",
    );
  });

  it.each(GPU_MODELS.map((m) => m.name))("--simulate accepts every catalog model: %s", (name) => {
    const inv = simulateGpus(`2x${name}`);
    const m = requireGpuModel(name);
    expect(inv.gpus.map((g) => [g.model, g.memoryMiB, g.migMode])).toEqual([
      [name, m.memoryMiB, m.migProfiles.length > 0 ? "disabled" : "unsupported"],
      [name, m.memoryMiB, m.migProfiles.length > 0 ? "disabled" : "unsupported"],
    ]);
    // Its first alias names it, so nvidia-smi's product name finds the same model again.
    expect(findGpuModel(inv.gpus[0]!.name.replace(/ \(simulated\)$/, ""))?.name).toBe(name);
  });

  it.each(GPU_MODELS.filter((m) => m.migProfiles.length > 0).map((m) => m.name))(
    "%s:mig simulates MIG GPUs whose largest and smallest profiles plan",
    (name) => {
      const [gpu] = simulateGpus(`1x${name}:mig`).gpus;
      expect(gpu!.migMode).toBe("enabled");
      const m = requireGpuModel(name);
      const whole = m.migProfiles.find((p) => p.computeSlices === m.migComputeSlices)!;
      expect(planMig(m, [whole.name]).ok).toBe(true);
      const smallest = m.migProfiles.find((p) => p.memorySlices === 1 && !p.name.includes("+"))!;
      expect(planMig(m, Array(smallest.maxCount).fill(smallest.name)).ok).toBe(true);
    },
  );
});
