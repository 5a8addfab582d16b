import { describe, expect, it } from "vitest";
import { isGpupoolError } from "./errors.js";
import {
  addResources,
  firstExceeded,
  formatResource,
  NO_RESOURCES,
  parsePriority,
  queueSpec,
  subResources,
} from "./queue.js";

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
      guarantee: { gpuMilli: 0, gpuMemoryMiB: 0, cpuMilli: 0, memoryMiB: 0 },
    });
  });

  it("a resource left out of a limit is unlimited", () => {
    const q = queueSpec({ name: "a", limit: { gpuMilli: 2000 } });
    expect(q.limit).toEqual({
      gpuMilli: 2000,
      gpuMemoryMiB: Number.POSITIVE_INFINITY,
      cpuMilli: Number.POSITIVE_INFINITY,
      memoryMiB: Number.POSITIVE_INFINITY,
    });
  });

  it("host memory is a quota resource: limited and guaranteed like the others", () => {
    const q = queueSpec({ name: "a", guarantee: { memoryMiB: 1024 }, limit: { memoryMiB: 4096 } });
    expect(q.guarantee.memoryMiB).toBe(1024);
    expect(q.limit?.memoryMiB).toBe(4096);
    expect(q.limit?.gpuMilli).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    [{ name: "a", weight: 0 }, "queue a.weight"],
    [{ name: "a", guarantee: { gpuMilli: -1 } }, "queue a.guarantee.gpuMilli"],
    [{ name: "a", guarantee: { cpuMilli: 1.5 } }, "queue a.guarantee.cpuMilli"],
    [{ name: "a", guarantee: { gpuMilli: 2000 }, limit: { gpuMilli: 1000 } }, "queue a.limit.gpuMilli"],
    [{ name: "a", guarantee: { memoryMiB: 2048 }, limit: { memoryMiB: 1024 } }, "queue a.limit.memoryMiB"],
    [{ name: "a", limit: { memoryMiB: -1 } }, "queue a.limit.memoryMiB"],
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
    const cap = { gpuMilli: 1000, gpuMemoryMiB: 100, cpuMilli: 10, memoryMiB: 512 };
    expect(
      firstExceeded({ gpuMilli: 1000, gpuMemoryMiB: 100, cpuMilli: 10, memoryMiB: 512 }, cap),
    ).toBeNull();
    expect(firstExceeded({ gpuMilli: 1000, gpuMemoryMiB: 101, cpuMilli: 11, memoryMiB: 513 }, cap)).toBe(
      "gpuMemoryMiB",
    );
    expect(firstExceeded({ gpuMilli: 0, gpuMemoryMiB: 0, cpuMilli: 0, memoryMiB: 513 }, cap)).toBe(
      "memoryMiB",
    );
    expect(formatResource("gpuMilli", 2000)).toBe("gpu 2000m");
    expect(formatResource("memoryMiB", 512)).toBe("memory 512Mi");
  });

  it("add and subtract every resource, host memory included", () => {
    const a = { gpuMilli: 500, gpuMemoryMiB: 10, cpuMilli: 250, memoryMiB: 64 };
    const b = { gpuMilli: 250, gpuMemoryMiB: 5, cpuMilli: 750, memoryMiB: 448 };
    expect(addResources(a, b)).toEqual({ gpuMilli: 750, gpuMemoryMiB: 15, cpuMilli: 1000, memoryMiB: 512 });
    expect(subResources(addResources(a, b), b)).toEqual(a);
    expect(addResources(NO_RESOURCES, a)).toEqual(a);
  });
});
