import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatMiB, formatMilli, parseCpuMilli, parseGpuShareMilli, parseMemoryMiB } from "./quantity.js";

describe("quantities", () => {
  it.each([
    ["250m", 250],
    ["0.5", 500],
    ["2", 2000],
    [".25", 250],
    [3, 3000],
  ])("CPU %s → %i milli", (input, milli) => {
    expect(parseCpuMilli(input)).toBe(milli);
  });

  it.each([
    ["0.25", 250],
    ["250m", 250],
    ["1", 1000],
  ])("GPU share %s → %i milli", (input, milli) => {
    expect(parseGpuShareMilli(input)).toBe(milli);
  });

  it.each(["0", "1.5", "abc", "-1", "0.0001", ""])("rejects GPU share %s with a stable code", (input) => {
    expect(() => parseGpuShareMilli(input)).toThrowError(
      expect.objectContaining({ code: "GP_INVALID_QUANTITY" }),
    );
  });

  it.each([
    ["512Mi", 512],
    ["10Gi", 10240],
    ["1.5Gi", 1536],
    ["1Ti", 1048576],
    ["2048Ki", 2],
    ["10G", 9537],
    ["1048576", 1],
  ])("memory %s → %i MiB", (input, mib) => {
    expect(parseMemoryMiB(input)).toBe(mib);
  });

  it.each(["1Ki", "ten", "5Xi", "-1Gi"])("rejects memory %s", (input) => {
    expect(() => parseMemoryMiB(input)).toThrowError(
      expect.objectContaining({ code: "GP_INVALID_QUANTITY" }),
    );
  });

  it("formats round-trip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        (milli) => parseGpuShareMilli(formatMilli(milli)) === milli,
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 24 }), (mib) => parseMemoryMiB(formatMiB(mib)) === mib),
    );
  });
});
