import { describe, expect, it } from "vitest";
import { parseSmiTable } from "./smi-table.js";
import { splitCapture } from "./test-support/capture.js";
import { readFixture } from "./test-support/fixtures.js";

describe("parseSmiTable (plain nvidia-smi) on real tables", () => {
  it("L40S 595.80: one GPU, no MIG (N/A), no MIG devices block", () => {
    expect(parseSmiTable(readFixture("added/table/l40s-595.80-table.txt"))).toEqual({
      driverVersion: "595.80",
      cudaVersion: "13.2",
      gpus: [{ index: 0, name: "NVIDIA L40S", memoryUsedMiB: 0, memoryTotalMiB: 46068, migMode: null }],
      migDevices: [],
    });
  });

  it("H200 590.48.01: MIG on, five MIG devices with GI/CI ids, sizes, SMs and copy engines", () => {
    const t = parseSmiTable(readFixture("added/table/h200-mig-590.48.01-table.txt"));
    expect(t.gpus).toEqual([
      { index: 0, name: "NVIDIA H200", memoryUsedMiB: 55, memoryTotalMiB: 143771, migMode: "enabled" },
    ]);
    expect(
      t.migDevices.map((d) => [
        d.gpuInstanceId,
        d.computeInstanceId,
        d.index,
        d.memoryTotalMiB,
        d.multiprocessors,
        d.copyEngines,
      ]),
    ).toEqual([
      [2, 0, 0, 71424, 16, 3],
      [2, 1, 1, 71424, 32, 3],
      [3, 0, 2, 33280, 32, 2],
      [9, 0, 3, 16384, 16, 1],
      [10, 0, 4, 16384, 16, 1],
    ]);
  });

  it("H100 capture under load: the used memory of the busy 3g.40gb instance", () => {
    const load = splitCapture(
      readFixture("captures/nvidia_gpu_exporter__linux-x86_64__nvidia-h100-mig__590.48.01.txt"),
    ).find((s) => s.title === "load :: nvidia-smi (default table)")!;
    const t = parseSmiTable(load.body);
    expect(t.gpus[0]).toMatchObject({ name: "NVIDIA H100 80GB HBM3", memoryTotalMiB: 81559 });
    expect(t.migDevices[0]).toMatchObject({ gpuInstanceId: 2, memoryUsedMiB: 11091, memoryTotalMiB: 40448 });
  });

  it("text that is no table yields nothing, not an error", () => {
    expect(parseSmiTable("No devices were found\n")).toEqual({
      driverVersion: null,
      cudaVersion: null,
      gpus: [],
      migDevices: [],
    });
  });
});
