import { describe, expect, it } from "vitest";
import { inventoryFromSmi } from "./discover.js";
import { inventoryToNodeSpec } from "./node-spec.js";
import { simulateGpus } from "./simulate.js";
import { readFixture } from "./test-support/fixtures.js";

describe("inventoryToNodeSpec", () => {
  it("simulated 2xH100-80GB,1xT4: NVLink peers, simulated flag, the simulated driver", () => {
    const spec = inventoryToNodeSpec(simulateGpus("2xH100-80GB,1xT4"), {
      name: "n1",
      cpuMilli: 8000,
      memoryMiB: 65536,
    });
    expect(spec.gpus.map((g) => [g.index, g.model, g.nvlinkPeers, g.simulated])).toEqual([
      [0, "H100-80GB", [1], true],
      [1, "H100-80GB", [0], true],
      [2, "T4", [], true],
    ]);
    expect(spec.driverVersion).toBe("595.45.04");
  });

  it("the real A100 MIG document: migEnabled and the host driver", () => {
    const inv = inventoryFromSmi(readFixture("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml"), "test");
    const spec = inventoryToNodeSpec(inv, {
      name: "n2",
      cpuMilli: 1000,
      memoryMiB: 1024,
      labels: { zone: "a" },
    });
    expect(spec).toMatchObject({ name: "n2", driverVersion: "535.54.03", labels: { zone: "a" } });
    expect(spec.gpus[0]).toMatchObject({
      model: "A100-80GB",
      memoryMiB: 81920,
      migEnabled: true,
      simulated: false,
    });
  });
});
