import { describe, expect, it } from "vitest";
import { isGpupoolError } from "./errors.js";
import { firstExceeded, formatResource, parsePriority, queueSpec } from "./queue.js";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isGpupoolError(err) ? err.code : "not a GpupoolError";
  }
  return undefined;
}

describe("parsePriority", () => {
  it.each([
    ["system-critical", 1_000_000],
    ["high", 1000],
    ["HIGH", 1000],
    ["normal", 0],
    ["low", -100],
    ["best-effort", -1000],
    ["-5", -5],
    ["+7", 7],
    [42, 42],
    [undefined, 0],
  ] as const)("%s → %d", (input, want) => {
    expect(parsePriority(input)).toBe(want);
  });

  it.each(["urgent", "1.5", "", "constructor", 2.5])("rejects %s with GP_UNKNOWN_PRIORITY_CLASS", (input) => {
    expect(codeOf(() => parsePriority(input))).toBe("GP_UNKNOWN_PRIORITY_CLASS");
  });
});

describe("queueSpec", () => {
  it("fills defaults: weight 1, guarantee 0, no limit", () => {
    expect(queueSpec({ name: "a" })).toEqual({
      name: "a",
      weight: 1,
      guarantee: { gpuMilli: 0, gpuMemoryMiB: 0, cpuMilli: 0 },
    });
  });

  it("a resource left out of a limit is unlimited", () => {
    const q = queueSpec({ name: "a", limit: { gpuMilli: 2000 } });
    expect(q.limit).toEqual({
      gpuMilli: 2000,
      gpuMemoryMiB: Number.POSITIVE_INFINITY,
      cpuMilli: Number.POSITIVE_INFINITY,
    });
  });

  it.each([
    [{ name: "a", weight: 0 }, "queue a.weight"],
    [{ name: "a", guarantee: { gpuMilli: -1 } }, "queue a.guarantee.gpuMilli"],
    [{ name: "a", guarantee: { cpuMilli: 1.5 } }, "queue a.guarantee.cpuMilli"],
    [{ name: "a", guarantee: { gpuMilli: 2000 }, limit: { gpuMilli: 1000 } }, "queue a.limit.gpuMilli"],
    [{ name: "" }, "queue.name"],
  ])("rejects %j at %s", (input, path) => {
    let err: unknown;
    try {
      queueSpec(input);
    } catch (e) {
      err = e;
    }
    expect(isGpupoolError(err) && err.code).toBe("GP_INVALID_SPEC");
    expect(isGpupoolError(err) && err.details?.path).toBe(path);
  });
});

describe("resource helpers", () => {
  it("firstExceeded names the first resource over the cap", () => {
    const cap = { gpuMilli: 1000, gpuMemoryMiB: 100, cpuMilli: 10 };
    expect(firstExceeded({ gpuMilli: 1000, gpuMemoryMiB: 100, cpuMilli: 10 }, cap)).toBeNull();
    expect(firstExceeded({ gpuMilli: 1000, gpuMemoryMiB: 101, cpuMilli: 11 }, cap)).toBe("gpuMemoryMiB");
    expect(formatResource("gpuMilli", 2000)).toBe("gpu 2000m");
  });
});
