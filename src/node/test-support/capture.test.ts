import { describe, expect, it } from "vitest";
import { parseComputeApps, parseQueryGpu } from "../smi-csv.js";
import { parseSmiList } from "../smi-list.js";
import { parseTopoMatrix } from "../smi-topo.js";
import { splitCapture } from "./capture.js";
import { fixtureFiles, readFixture } from "./fixtures.js";

const FILE = "nvidia_gpu_exporter__linux-x86_64__nvidia-h100-mig__590.48.01.txt";

describe("the complete H100-MIG 590.48.01 capture parses section by section", () => {
  const sections = splitCapture(readFixture(`captures/${FILE}`));
  const body = (title: string) => {
    const s = sections.find((x) => x.title === title);
    if (!s) throw new Error(`no section "${title}"`);
    return s.body;
  };

  it("is the only capture, and splits into its named sections", () => {
    expect(fixtureFiles("captures")).toEqual([FILE]);
    expect(sections.map((s) => s.title)).toEqual(
      expect.arrayContaining([
        "capabilities :: list (-L)",
        "capabilities :: topo -m",
        "load :: query-compute-apps (per-process)",
      ]),
    );
  });

  it("its slices are the same bytes as the separate fixtures taken from it", () => {
    expect(body("capabilities :: list (-L)")).toBe(readFixture("list/h100-80gb-hbm3-mig-590.48.01-L.txt"));
    expect(body("capabilities :: topo -m")).toBe(
      readFixture("topo/h100-80gb-hbm3-single-gpu-590.48.01-topo-m-ansi.txt"),
    );
    expect(body("load :: query-gpu (csv, what the exporter parses)")).toBe(
      readFixture("query-gpu/h100-80gb-hbm3-mig-590.48.01-load.csv"),
    );
    expect(body("load :: query-compute-apps (per-process)")).toBe(
      readFixture("compute-apps/h100-80gb-hbm3-mig-590.48.01-load.csv"),
    );
  });

  it("-L: one H100 with 3g.40gb, 2g.20gb and two 1g.10gb", () => {
    const [gpu] = parseSmiList(body("capabilities :: list (-L)"));
    expect(gpu!.migDevices.map((d) => d.profile)).toEqual(["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"]);
  });

  it("topo -m: one GPU on CPUs 0-19, NUMA 0", () => {
    expect(parseTopoMatrix(body("capabilities :: topo -m")).gpus[0]).toMatchObject({
      cpuAffinity: "0-19",
      numaNode: 0,
    });
  });

  it("query-gpu idle vs load: MIG enabled in both, memory used grows under load", () => {
    const idle = parseQueryGpu(body("idle :: query-gpu (csv, what the exporter parses)"))[0]!;
    const load = parseQueryGpu(body("load :: query-gpu (csv, what the exporter parses)"))[0]!;
    expect([idle.migMode, load.migMode]).toEqual(["enabled", "enabled"]);
    expect(idle.memoryUsedMiB).toBe(59);
    expect(load.memoryUsedMiB!).toBeGreaterThan(idle.memoryUsedMiB!);
  });

  it("compute-apps: no processes idle, three under load", () => {
    expect(parseComputeApps(body("idle :: query-compute-apps (per-process)"))).toEqual([]);
    expect(parseComputeApps(body("load :: query-compute-apps (per-process)")).map((a) => a.pid)).toEqual([
      21180, 21181, 21198,
    ]);
  });
});
