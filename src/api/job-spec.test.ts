import { describe, expect, it } from "vitest";
import { checkRunnable, normalizeSpec } from "./job-spec.js";

/** CPU and memory as Kubernetes treats requests: nothing asked, nothing reserved and no limit. */

const base = { name: "j", image: "localhost/busybox:latest" };

describe("normalizeSpec: cpu and memory", () => {
  const rows: [string, Record<string, unknown>, { cpuMilli: number; memoryMiB: number }][] = [
    ["neither given: none of either (0)", {}, { cpuMilli: 0, memoryMiB: 0 }],
    ["a GPU share alone reserves no CPU or memory", { gpu: 0.25 }, { cpuMilli: 0, memoryMiB: 0 }],
    ["cpu only", { cpu: "500m" }, { cpuMilli: 500, memoryMiB: 0 }],
    ["memory only", { memory: "4Gi" }, { cpuMilli: 0, memoryMiB: 4096 }],
    ["both, as numbers and text", { cpu: 2, memory: "512Mi" }, { cpuMilli: 2000, memoryMiB: 512 }],
    ["0 is the same as left out", { cpu: 0, memory: "0" }, { cpuMilli: 0, memoryMiB: 0 }],
  ];
  for (const [name, extra, want] of rows)
    it(name, () => {
      const spec = normalizeSpec({ ...base, ...extra });
      expect({ cpuMilli: spec.cpuMilli, memoryMiB: spec.memoryMiB }).toEqual(want);
      expect(() => checkRunnable(spec)).not.toThrow();
    });
});

describe("checkRunnable: minimums apply only to what is asked", () => {
  const rows: [string, Record<string, unknown>, RegExp | null][] = [
    ["nothing asked", {}, null],
    ["cpu 10m, the least", { cpu: "10m" }, null],
    ["cpu 5m", { cpu: "5m" }, /spec\.cpu: must be at least 10m/],
    ["memory 6Mi, the least", { memory: "6Mi" }, null],
    ["memory 1Mi", { memory: "1Mi" }, /spec\.memory: must be at least 6Mi/],
  ];
  for (const [name, extra, error] of rows)
    it(name, () => {
      const spec = normalizeSpec({ ...base, ...extra });
      if (error === null) expect(() => checkRunnable(spec)).not.toThrow();
      else
        expect(() => checkRunnable(spec)).toThrow(
          expect.objectContaining({ code: "GP_INVALID_SPEC", message: expect.stringMatching(error) }),
        );
    });
});

describe("normalizeSpec: what the engine would refuse is refused at submission", () => {
  const rows: [string, Record<string, unknown>, RegExp][] = [
    ["a NUL in an env value", { env: { A: "x\u0000y" } }, /^spec\.env\.A: must not contain a NUL character/],
    [
      "a NUL in a command argument",
      { command: ["sh", "-c", "a\u0000b"] },
      /^spec\.command\.2: must not contain a NUL/,
    ],
    ["a NUL in the image", { image: "busybox\u0000" }, /^spec\.image: is not an image reference/],
    ["uppercase in the image", { image: "localhost/BusyBox" }, /^spec\.image: is not an image reference/],
    ["unicode in the image", { image: "localhost/büsybox:1" }, /^spec\.image: is not an image reference/],
    ["../ in the image", { image: "../busybox" }, /^spec\.image: is not an image reference/],
  ];
  for (const [name, extra, error] of rows)
    it(name, () => {
      expect(() => normalizeSpec({ ...base, ...extra })).toThrow(
        expect.objectContaining({ code: "GP_INVALID_SPEC", message: expect.stringMatching(error) }),
      );
    });

  it("ordinary references and environments pass", () => {
    expect(
      normalizeSpec({ ...base, image: "nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04", env: { A: "ü ok" } })
        .image,
    ).toBe("nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04");
  });
});
