import { describe, expect, it } from "vitest";
import { preferredSlots, slotDevices, slotGpu } from "./device-slots.js";

describe("device-plugin slots", () => {
  it("K slots per GPU, Unhealthy with their GPU", () => {
    const d = slotDevices(
      [
        { index: 0, uuid: "GPU-a", model: "H100-80GB", memoryMiB: 81559 },
        { index: 1, uuid: "GPU-b", model: "H100-80GB", memoryMiB: 81559, unhealthy: "XID 79" },
      ],
      3,
    );
    expect(d.map((x) => `${x.ID} ${x.health}`)).toEqual([
      "GPU-a-s0 Healthy",
      "GPU-a-s1 Healthy",
      "GPU-a-s2 Healthy",
      "GPU-b-s0 Unhealthy",
      "GPU-b-s1 Unhealthy",
      "GPU-b-s2 Unhealthy",
    ]);
    expect(slotGpu("GPU-a-s12")).toBe("GPU-a");
  });

  it("prefers one slot of each assigned GPU, keeps what must be included, then fills", () => {
    const avail = ["GPU-a-s0", "GPU-a-s1", "GPU-b-s0", "GPU-b-s1", "GPU-c-s0"];
    expect(preferredSlots(avail, [], 2, ["GPU-b", "GPU-c"])).toEqual(["GPU-b-s0", "GPU-c-s0"]);
    expect(preferredSlots(avail, ["GPU-a-s1"], 2, ["GPU-b"])).toEqual(["GPU-a-s1", "GPU-b-s0"]);
    expect(preferredSlots(avail, [], 3, [])).toEqual(["GPU-a-s0", "GPU-a-s1", "GPU-b-s0"]);
  });
});
