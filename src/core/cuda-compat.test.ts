import { describe, expect, it } from "vitest";
import {
  CUDA_GA_DRIVERS,
  compareDriver,
  cudaFits,
  driverCudaVersion,
  judgeCuda,
  parseDriverVersion,
} from "./cuda-compat.js";
import { GpupoolError } from "./errors.js";

type Row = [
  cuda: string,
  driver: string,
  fc: boolean,
  dc: boolean,
  verdict: string,
  required: string | null,
  why: string,
];

/** (toolkit, driver) pairs from GPU-FACTS.md, with the boundaries: exact GA driver, one below, family minimum. */
const TABLE: Row[] = [
  ["12.4", "550.54.14", false, false, "compatible", "550.54.14", "exact 12.4 GA driver"],
  [
    "12.4",
    "550.54.13",
    false,
    false,
    "minor-version-compatible",
    "550.54.14",
    "one below the 12.4 GA driver",
  ],
  [
    "12.4",
    "535.104.05",
    false,
    false,
    "minor-version-compatible",
    "550.54.14",
    "the CLI example: 12.2-era driver",
  ],
  ["12.4", "525", false, false, "minor-version-compatible", "550.54.14", "exactly the 12.x family minimum"],
  ["12.4", "524.99", false, false, "incompatible", "550.54.14", "one below the 12.x family minimum"],
  [
    "12.4",
    "520.61.05",
    true,
    true,
    "forward-compat",
    "550.54.14",
    "11.8 driver + cuda-compat on a datacenter GPU",
  ],
  ["12.4", "470.42.01", true, false, "incompatible", "550.54.14", "forward compat needs a datacenter GPU"],
  [
    "12.4",
    "470.42.01",
    false,
    true,
    "incompatible",
    "550.54.14",
    "forward compat needs cuda-compat in the image",
  ],
  ["12.2", "535.54.03", false, false, "compatible", "535.54.03", "exact 12.2 GA driver"],
  ["12.8", "570.26", false, false, "compatible", "570.26", "two-part GA driver version"],
  [
    "12.7",
    "565.57.01",
    false,
    false,
    "minor-version-compatible",
    "570.26",
    "12.7 is not a release: next one's GA driver is the bound",
  ],
  ["13.0", "580.65.06", false, false, "compatible", "580.65.06", "exact 13.0 GA driver"],
  [
    "13.0",
    "580.65.05",
    false,
    false,
    "minor-version-compatible",
    "580.65.06",
    "one below the 13.0 GA driver",
  ],
  ["13.2", "580", false, false, "minor-version-compatible", "595.45.04", "exactly the 13.x family minimum"],
  ["13.2", "579.99", false, false, "incompatible", "595.45.04", "one below the 13.x family minimum"],
  [
    "13.0",
    "575.51.03",
    true,
    true,
    "forward-compat",
    "580.65.06",
    "12.9 driver running 13.0 through cuda-compat",
  ],
  ["13.1", "595.45.04", false, false, "compatible", "590.44.01", "newer driver runs an older toolkit"],
  ["11.0", "450.51.05", false, false, "compatible", "450.51.05", "exact 11.0 GA driver"],
  ["11.0", "450.51.04", false, false, "incompatible", "450.51.05", "one below the 11.0 GA driver"],
  [
    "11.8",
    "450.80.02",
    false,
    false,
    "minor-version-compatible",
    "520.61.05",
    "exactly the 11.x minor-compat minimum",
  ],
  ["11.8", "450.80.01", false, false, "incompatible", "520.61.05", "one below 450.80.02 (11.0-era driver)"],
  ["11.4", "535.104.05", false, false, "compatible", "470.42.01", "backward compatibility across majors"],
  ["11.2.2", "460.27.03", false, false, "compatible", "460.27.03", "patch level is ignored"],
  ["10.2", "535.104.05", false, false, "compatible", "450.51.05", "pre-11 toolkit on a modern driver"],
  [
    "10.2",
    "440.33.01",
    false,
    false,
    "incompatible",
    "450.51.05",
    "pre-11 toolkit below the table cannot be confirmed",
  ],
  [
    "13.3",
    "600.10",
    false,
    false,
    "minor-version-compatible",
    null,
    "newer than the table: family minimum still applies",
  ],
];

describe("judgeCuda on GPU-FACTS pairs", () => {
  it("has at least 15 rows", () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(15);
  });

  for (const [cuda, driver, fc, dc, verdict, required, why] of TABLE) {
    it(`CUDA ${cuda} on driver ${driver}${fc ? " +cuda-compat" : ""}${dc ? " datacenter" : ""} → ${verdict} (${why})`, () => {
      const r = judgeCuda({ cuda, driver, forwardCompat: fc, datacenter: dc });
      expect(r.verdict).toBe(verdict);
      expect(r.requiredDriver).toBe(required);
      expect(r.explanation).toContain(driver);
      expect(cudaFits({ version: cuda, forwardCompat: fc }, driver, dc)).toBe(verdict !== "incompatible");
    });
  }

  it("minor-version-compatible says what may fail and which driver fixes it", () => {
    const r = judgeCuda({ cuda: "12.4", driver: "535.104.05" });
    expect(r.driverCuda).toBe("12.2");
    expect(r.familyMinimumDriver).toBe("525");
    expect(r.warnings[0]).toMatch(/PTX/);
    expect(r.warnings[0]).toMatch(/cudaErrorCallRequiresNewerDriver/);
    expect(r.explanation).toMatch(/Upgrade to 550\.54\.14/);
  });

  it("incompatible names the GA driver and the family minimum", () => {
    const r = judgeCuda({ cuda: "12.4", driver: "470.42.01" });
    expect(r.explanation).toMatch(/>= 550\.54\.14/);
    expect(r.explanation).toMatch(/from 525/);
    expect(r.explanation).toMatch(/no cuda-compat package and the GPU is not a datacenter part/);
  });

  it("maps every GA driver in the table back to its own toolkit", () => {
    for (const [toolkit, driver] of CUDA_GA_DRIVERS) {
      const v = driverCudaVersion(driver)!;
      expect(`${v.major}.${v.minor}`).toBe(toolkit);
    }
    expect(driverCudaVersion("450.51.04")).toBeNull();
  });

  it.each([
    ["535.104.05", "535.54.03", 1],
    ["570.26", "570.26.0", 0],
    ["525", "525.60.13", -1],
  ])("compareDriver(%s, %s) has sign %i", (a, b, sign) => {
    expect(Math.sign(compareDriver(parseDriverVersion(a), parseDriverVersion(b)))).toBe(sign);
  });

  it.each([
    ["12.x", "535.104.05", "GP_INVALID_CUDA_VERSION"],
    ["", "535.104.05", "GP_INVALID_CUDA_VERSION"],
    ["12.4", "latest", "GP_INVALID_DRIVER_VERSION"],
    ["12.4", "535.104.05.1", "GP_INVALID_DRIVER_VERSION"],
  ])("rejects cuda=%j driver=%j with %s", (cuda, driver, code) => {
    let caught: unknown;
    try {
      judgeCuda({ cuda, driver });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GpupoolError);
    expect((caught as GpupoolError).code).toBe(code);
  });
});
