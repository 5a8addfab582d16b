import { describe, expect, it } from "vitest";
import { parseComputeApps, parseQueryGpu, parseSmiCsv } from "./smi-csv.js";
import { fixtureFiles, readFixture } from "./test-support/fixtures.js";

describe("--query-compute-apps on every real fixture", () => {
  it("covers every file in fixtures/nvidia-smi/compute-apps", () => {
    expect(fixtureFiles("compute-apps")).toEqual([
      "h100-80gb-hbm3-mig-590.48.01-load.csv",
      "rtx-2080-super-windows-610.62-load.csv",
    ]);
  });

  it("H100 MIG under load: 3 processes with MiB, parent GPU UUID", () => {
    const apps = parseComputeApps(readFixture("compute-apps/h100-80gb-hbm3-mig-590.48.01-load.csv"));
    expect(apps.map((a) => [a.pid, a.processName, a.usedMemoryMiB])).toEqual([
      [21180, "/root/tools/memhog", 2296],
      [21181, "/root/tools/memhog", 1272],
      [21198, "./gpu_burn", 7484],
    ]);
    expect(new Set(apps.map((a) => a.gpuUuid))).toEqual(
      new Set(["GPU-00000000-0000-0000-0000-000000000000"]),
    );
    expect(apps[0]!.gpuBusId).toBe("00000000:00:09.0");
  });

  it("Windows WDDM: 21 rows, used memory N/A → null, never 0", () => {
    const apps = parseComputeApps(readFixture("compute-apps/rtx-2080-super-windows-610.62-load.csv"));
    expect(apps).toHaveLength(21);
    expect(apps.every((a) => a.usedMemoryMiB === null)).toBe(true);
    expect(apps[0]).toMatchObject({ pid: 2140, processName: "C:\\Windows\\System32\\dwm.exe" });
  });

  it("folds a process name containing ', ' back into one field; reads csv,nounits", () => {
    const text = "pid, process_name, used_gpu_memory [MiB]\n42, /opt/a, b/run, 512\n";
    expect(parseComputeApps(text)).toEqual([
      { pid: 42, gpuUuid: null, gpuBusId: null, processName: "/opt/a, b/run", usedMemoryMiB: 512 },
    ]);
  });

  it("rejects rows that do not fit the header", () => {
    expect(() => parseSmiCsv("a, b\n1, 2, 3\n")).toThrow(/row 1 has 3 cells/);
  });
});

describe("--query-gpu on every real fixture", () => {
  it("covers every csv in fixtures/nvidia-smi/query-gpu", () => {
    expect(fixtureFiles("query-gpu").filter((f) => f.endsWith(".csv"))).toEqual([
      "h100-80gb-hbm3-mig-590.48.01-load.csv",
      "rtx-2080-super-windows-610.62-idle.csv",
    ]);
  });

  it("H100 MIG 590: 212 fields, MIG enabled, utilisation N/A → null", () => {
    const csv = parseSmiCsv(readFixture("query-gpu/h100-80gb-hbm3-mig-590.48.01-load.csv"));
    expect(csv.fields).toHaveLength(212);
    expect(csv.units["memory.total"]).toBe("MiB");
    // The .query.txt sidecar is the command line; its field list is the header, in order.
    const query = readFixture("query-gpu/h100-80gb-hbm3-mig-590.48.01-load.query.txt");
    expect(/--query-gpu=(\S+)/.exec(query)![1]!.split(",")).toEqual(csv.fields);
    const [g] = parseQueryGpu(readFixture("query-gpu/h100-80gb-hbm3-mig-590.48.01-load.csv"));
    expect(g).toMatchObject({
      index: 0,
      name: "NVIDIA H100 80GB HBM3",
      uuid: "GPU-00000000-0000-0000-0000-000000000000",
      driverVersion: "590.48.01",
      memoryTotalMiB: 81559,
      migMode: "enabled",
      utilizationPercent: null,
      computeCapability: "9.0",
    });
  });

  it("RTX 2080 SUPER Windows 610.62: kmd_version next to driver_version, 239 fields", () => {
    const csv = parseSmiCsv(readFixture("query-gpu/rtx-2080-super-windows-610.62-idle.csv"));
    expect(csv.fields).toHaveLength(239);
    expect(csv.fields).toContain("kmd_version");
    const [g] = parseQueryGpu(readFixture("query-gpu/rtx-2080-super-windows-610.62-idle.csv"));
    expect(g).toMatchObject({
      name: "NVIDIA GeForce RTX 2080 SUPER",
      driverVersion: "610.62",
      migMode: "unsupported",
    });
    expect(g!.raw["driver_model.current"]).toBe("WDDM");
  });

  it("falls back to kmd_version when driver_version is deprecated", () => {
    const text = "driver_version, kmd_version, name\n[Deprecated], 610.57.04, X\n";
    expect(parseQueryGpu(text)[0]!.driverVersion).toBe("610.57.04");
  });
});
