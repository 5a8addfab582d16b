import { describe, expect, it } from "vitest";
import { parseSimulateSpec, SIMULATED_DRIVER, simulateGpus } from "./simulate.js";

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
    ["H200", [{ count: 1, model: "H200" }]],
    ["2 x a100-80gb", [{ count: 2, model: "A100-80GB" }]],
    [
      "1xTesla T4, 3xL4",
      [
        { count: 1, model: "T4" },
        { count: 3, model: "L4" },
      ],
    ],
  ])("parses %j", (spec, want) => {
    expect(parseSimulateSpec(spec)).toEqual(want);
  });

  it.each([
    ["", /GP|--simulate needs/],
    ["2xB300", /unknown GPU model "B300"/],
    ["0xT4", /count from 1 to 64/],
  ])("rejects %j", (spec, message) => {
    expect(() => parseSimulateSpec(spec)).toThrow(message);
  });
});
