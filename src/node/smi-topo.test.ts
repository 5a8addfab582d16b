import { describe, expect, it } from "vitest";
import { expandCpuList, parseTopoMatrix } from "./smi-topo.js";
import { fixtureFiles, readFixture } from "./test-support/fixtures.js";

describe("parseTopoMatrix on every real topo fixture", () => {
  it("covers every file in fixtures/nvidia-smi/topo", () => {
    expect(fixtureFiles("topo")).toEqual([
      "dgx-a100-8gpu-12nic-topo-m.txt",
      "dgx1-8gpu-4nic-topo-mp.txt",
      "h100-80gb-hbm3-single-gpu-590.48.01-topo-m-ansi.txt",
    ]);
  });

  it("DGX A100: NV12 all-to-all, one NVLink group of 8, NUMA 3/1/7/5 in GPU pairs", () => {
    const t = parseTopoMatrix(readFixture("topo/dgx-a100-8gpu-12nic-topo-m.txt"));
    expect(t.gpus).toHaveLength(8);
    expect(t.nvlinkGroups).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    for (const g of t.gpus) {
      expect(g.links.size).toBe(7);
      expect([...g.links.values()].every((l) => l.kind === "NV" && l.nvlinks === 12)).toBe(true);
    }
    expect(t.gpus.map((g) => g.numaNode)).toEqual([3, 3, 1, 1, 7, 7, 5, 5]);
    expect(t.gpus[0]!.cpuAffinity).toBe("48-63,176-191");
    expect(t.gpus[0]!.cpus).toHaveLength(32);
    expect(t.gpus[6]!.cpuAffinity).toBe("80-95,208-223");
  });

  it("DGX-1 topo -mp: PCIe only (PIX/PHB/SYS), no NVLink groups", () => {
    const t = parseTopoMatrix(readFixture("topo/dgx1-8gpu-4nic-topo-mp.txt"));
    expect(t.gpus).toHaveLength(8);
    expect(t.nvlinkGroups).toEqual([]);
    const l = t.gpus[0]!.links;
    expect([l.get(1)?.kind, l.get(2)?.kind, l.get(4)?.kind]).toEqual(["PIX", "PHB", "SYS"]);
    expect(t.gpus[5]!.links.get(4)?.kind).toBe("PIX");
    expect(t.gpus.map((g) => g.numaNode)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(t.gpus[4]!.cpuAffinity).toBe("20-39,60-79");
  });

  it("H100 590 single GPU: ANSI header, GPU NUMA ID column after an empty cell", () => {
    const t = parseTopoMatrix(readFixture("topo/h100-80gb-hbm3-single-gpu-590.48.01-topo-m-ansi.txt"));
    expect(t.gpus).toHaveLength(1);
    expect(t.gpus[0]!).toMatchObject({ index: 0, cpuAffinity: "0-19", numaNode: 0 });
    expect(t.gpus[0]!.cpus).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(t.gpus[0]!.links.size).toBe(0);
    expect(t.nvlinkGroups).toEqual([]);
  });

  it("splits NVLink islands: pairs joined by NV2, SYS between them", () => {
    const m = [
      "\tGPU0\tGPU1\tGPU2\tGPU3\tCPU Affinity\tNUMA Affinity",
      "GPU0\t X \tNV2\tSYS\tSYS\t0-7\t0",
      "GPU1\tNV2\t X \tSYS\tSYS\t0-7\t0",
      "GPU2\tSYS\tSYS\t X \tNV2\t8-15\t1",
      "GPU3\tSYS\tSYS\tNV2\t X \t8-15\t1",
      "",
      "Legend:",
    ].join("\n");
    expect(parseTopoMatrix(m).nvlinkGroups).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it("rejects output without a matrix and unknown link codes", () => {
    expect(() => parseTopoMatrix("NVIDIA-SMI has failed")).toThrow(/no header/);
    expect(() => parseTopoMatrix("\tGPU0\tGPU1\nGPU0\t X \tQQQ\nGPU1\tQQQ\t X \n")).toThrow(/bad link "QQQ"/);
  });

  it.each([
    ["0-3", [0, 1, 2, 3]],
    ["0-1,8-9", [0, 1, 8, 9]],
    ["5", [5]],
    ["N/A", []],
  ])("expandCpuList(%s)", (input, out) => {
    expect(expandCpuList(input)).toEqual(out);
  });
});
