import { describe, expect, it } from "vitest";
import { cpus, gpus, localTime, memory, memoryOf, percent, quotas, resources } from "./units.js";

describe("human units for tables", () => {
  it.each([
    [81_920, "80 GiB"],
    [1536, "1.5 GiB"],
    [1024, "1 GiB"],
    [954, "954 MiB"],
    [0, "0 MiB"],
  ])("memory %d MiB is %s", (mib, text) => expect(memory(mib)).toBe(text));

  it("used of total memory, in the total's unit", () => {
    expect(memoryOf(10_240, 81_920)).toBe("10/80 GiB");
    expect(memoryOf(100, 512)).toBe("100/512 MiB");
  });

  it("GPU shares are percentages; GPUs and CPUs are counted like kubectl's quantities", () => {
    expect([percent(250), percent(1000), percent(333)]).toEqual(["25%", "100%", "33.3%"]);
    expect([gpus(1000), gpus(500), gpus(2000), gpus(1500)]).toEqual([
      "1 GPU",
      "0.5 GPU",
      "2 GPUs",
      "1.5 GPUs",
    ]);
    expect([cpus(500), cpus(2000), cpus(1500)]).toEqual(["500m CPU", "2 CPU", "1500m CPU"]);
  });

  it("times are local: the printed wall-clock time reads back as the same instant (to the second)", () => {
    const iso = "2026-12-02T10:04:05.678Z";
    const text = localTime(iso);
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // new Date("YYYY-MM-DDTHH:MM:SS") without a zone is local time.
    expect(new Date(text.replace(" ", "T")).getTime()).toBe(Date.parse("2026-12-02T10:04:05Z"));
    expect(localTime(Date.parse(iso))).toBe(text);
    expect(localTime(null)).toBe("-");
  });

  it("quotas read as resources, not gpuMilli", () => {
    expect(resources({ gpuMilli: 1000, gpuMemoryMiB: 40_960, cpuMilli: 500, memoryMiB: 8192 })).toBe(
      "1 GPU, 40 GiB GPU memory, 500m CPU, 8 GiB memory",
    );
    expect(resources(undefined)).toBe("-");
    expect(resources({})).toBe("-");
    expect(
      quotas({ gpuMilli: 1000, guarantee: { gpuMilli: 500 }, activeJobs: 10, gpuSeconds: 3600, weight: 2 }),
    ).toBe("limit 1 GPU; guarantee 0.5 GPU; 10 active jobs; 3600 GPU-seconds; weight 2");
    expect(quotas({})).toBe("none");
  });
});
