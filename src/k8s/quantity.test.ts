import { describe, expect, it } from "vitest";
import { cpuMilliOf, memoryMiBOf, quantityValue } from "./quantity.js";

describe("Kubernetes quantities", () => {
  it.each([
    ["250m", 0.25],
    ["2", 2],
    ["1.5", 1.5],
    ["10Gi", 10 * 2 ** 30],
    ["64M", 64e6],
    ["1e3", 1000],
    ["65843712Ki", 65843712 * 1024],
    ["bogus", Number.NaN],
  ])("%s", (q, v) => {
    expect(quantityValue(q)).toBe(v);
  });

  it("rounds requests up and capacities down", () => {
    expect(cpuMilliOf("0.0001")).toBe(1);
    expect(cpuMilliOf("1500m")).toBe(1500);
    expect(memoryMiBOf("64M")).toBe(62);
    expect(memoryMiBOf("65843712Ki", "down")).toBe(64300);
    expect(memoryMiBOf(undefined)).toBe(0);
  });
});
