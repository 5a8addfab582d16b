import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../scheduler/framework/rng.js";
import { parseSeeds } from "./cli.js";
import { ShapeHistogram } from "../scheduler/stats/shape-histogram.js";
import { workloadShape } from "../scheduler/stats/workload-stats.js";
import { runExperiment, traceWorkload } from "./experiment.js";
import { inflate, podGpuMilli } from "./inflate.js";
import { AllocationCurve, roundHalfEven } from "./metric.js";
import { builtinNodeTypes, builtinPods, resampleWorkload, syntheticNodes } from "./synthetic.js";
import { parseNodes, parsePods, type TracePod } from "./trace.js";
import { typicalPods } from "./typical.js";

const NODES_CSV = `sn,cpu_milli,memory_mib,gpu,model
n0,96000,393216,8,G2
n1,64000,262144,2,P100
n2,32000,131072,4,V100M16
`;
const PODS_CSV = `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
p0,12000,16384,1,1000,,LS,Running,0,1,0
p1,6000,12288,1,460,,LS,Running,0,1,0
p2,4000,8192,0,0,,BE,Running,0,1,0
p3,8000,16384,2,1000,V100M16|P100,LS,Running,0,1,0
`;
const MULTIGPU_CSV = `name,cpu_milli,memory_mib,num_gpu,gpu_milli
p0,12000,16384,1,1000
p1,6000,12288,1,1200
`;

describe("trace loading", () => {
  it("reads nodes and both pod list formats", () => {
    const nodes = parseNodes(NODES_CSV);
    expect(nodes).toHaveLength(3);
    expect(nodes[2]).toMatchObject({ name: "n2", cpuMilli: 32000, memoryMiB: 131072 });
    expect(nodes[2]!.gpus).toHaveLength(4);
    expect(nodes[2]!.gpus[0]!.model).toBe("V100M16");
    const pods = parsePods(PODS_CSV);
    expect(pods[3]).toMatchObject({ numGpu: 2, gpuMilli: 1000, gpuSpec: ["V100M16", "P100"] });
    expect(pods[2]).toMatchObject({ numGpu: 0, gpuMilli: 0, gpuSpec: [] });
    const multi = parsePods(MULTIGPU_CSV);
    expect(multi[1]!.gpuMilli).toBe(1000); // clipped to [0, 1000]
  });

  it("names the file, line and column of bad input", () => {
    expect(() => parsePods("name,cpu_milli\np,1\n", "x.csv")).toThrowError(
      expect.objectContaining({
        code: "GP_TRACE_FORMAT",
        message: expect.stringMatching(/x\.csv: missing column/),
      }),
    );
    expect(() =>
      parsePods("name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,abc,1,0,0\n", "y.csv"),
    ).toThrowError(/y\.csv:2: column cpu_milli/);
    expect(() => parseNodes("", "z.csv")).toThrowError(/empty file/);
  });
});

describe("workload tuning (inflation)", () => {
  const pods = parsePods(PODS_CSV);
  it("grows to the target without passing it by more than one pod's per-GPU share", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (seed) => {
        const out = inflate(pods, 14_000, new Rng(seed), 1.3);
        const total = out.reduce((s, p) => s + podGpuMilli(p), 0);
        return out.length >= pods.length && total <= 1.3 * 14_000 + 2000;
      }),
      { numRuns: 50 },
    );
  });

  it("shrinks a workload that asks for more than the target", () => {
    const out = inflate(pods, 1000, new Rng(1), 1.3);
    expect(out.reduce((s, p) => s + podGpuMilli(p), 0)).toBeLessThanOrEqual(1300);
  });

  it("is deterministic per seed", () => {
    expect(inflate(pods, 14_000, new Rng(42)).map((p) => p.name)).toEqual(
      inflate(pods, 14_000, new Rng(42)).map((p) => p.name),
    );
  });
});

describe("metric", () => {
  it("rounds halves to even like Python", () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6, 99.5, 100.5].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 100, 100]);
  });

  it("averages allocation per arrived %, falling back to neighbours", () => {
    const c = new AllocationCurve(1000);
    c.record(990, 900); // arr 99
    c.record(1000, 950); // arr 100
    c.record(1004, 960); // arr 100
    c.record(1020, 970); // arr 102
    expect(c.at(100)).toBeCloseTo(95.5);
    expect(c.at(101)).toBeCloseTo((95 + 96 + 97) / 3); // none at 101: steps at 100 and 102
    expect(Number.isNaN(c.at(120))).toBe(true);
  });
});

describe("typical pods", () => {
  it("takes the most frequent shapes until the coverage is reached", () => {
    const pods: TracePod[] = [
      ...Array.from({ length: 6 }, (_, i) => ({
        name: `a${i}`,
        cpuMilli: 1,
        memoryMiB: 10,
        numGpu: 1,
        gpuMilli: 500,
        gpuSpec: [],
      })),
      ...Array.from({ length: 3 }, (_, i) => ({
        name: `b${i}`,
        cpuMilli: 2,
        memoryMiB: 20,
        numGpu: 0,
        gpuMilli: 0,
        gpuSpec: [],
      })),
      { name: "c", cpuMilli: 3, memoryMiB: 30, numGpu: 8, gpuMilli: 1000, gpuSpec: [] },
    ];
    const t = typicalPods(pods, 0.85);
    expect(t.map((x) => [x.gpuMilli, x.gpuCount, x.weight])).toEqual([
      [500, 1, 6],
      [0, 0, 3],
    ]);
    expect(t[0]!.memoryMiB).toBe(10);
  });
});

describe("experiment", () => {
  const nodes = syntheticNodes(builtinNodeTypes(), 40, new Rng(1));
  const pods = builtinPods();

  it("is deterministic: same seed, same result", () => {
    const a = runExperiment(nodes, pods, "default", 7);
    const b = runExperiment(nodes, pods, "default", 7);
    expect({ ...a, seconds: 0 }).toEqual({ ...b, seconds: 0 });
    expect(a.podsPlaced).toBeGreaterThan(0);
    expect(a.allocatedPctAt100).toBeGreaterThan(50);
  });

  it("never allocates more than it was asked for, and the curve rises with arrivals", () => {
    const r = runExperiment(nodes, pods, "fgd", 3);
    // value(k) averages steps whose arrived % rounds to k (or k ± 1): allocated never exceeds arrived.
    for (let k = 1; k <= 100; k++)
      if (!Number.isNaN(r.curve[k]!)) expect(r.curve[k]!).toBeLessThanOrEqual(k + 1.5);
    expect(r.allocatedPctAt130).toBeGreaterThanOrEqual(r.allocatedPctAt100 - 1e-9);
  });

  it("online statistics never read ahead: after N pods they are those of the first N pods", () => {
    let checked = 0;
    const r = runExperiment(nodes, pods, "default", 11, {
      stats: "online",
      onOffered: (offered, tuned, stats) => {
        expect(stats.observed).toBe(offered);
        const cur = stats.current;
        expect(cur.observed).toBeLessThanOrEqual(offered);
        if (offered % 97 !== 0 && offered !== cur.observed) return;
        const h = new ShapeHistogram(10_000);
        for (const [i, p] of tuned.slice(0, cur.observed).entries())
          h.observe(workloadShape(traceWorkload(p, i))!);
        expect(cur.typical).toEqual(h.typical(0.95));
        expect(cur.demand).toEqual(h.typical(1));
        checked++;
      },
    });
    expect(r.statsVersions).toBeGreaterThan(3);
    expect(checked).toBeGreaterThan(10);
  });

  it("oracle statistics stay fixed through a run; online ones are published as pods arrive", () => {
    const oracle = runExperiment(nodes, pods, "fgd", 5, { stats: "oracle" });
    const online = runExperiment(nodes, pods, "fgd", 5, { stats: "online" });
    expect(oracle.statsVersions).toBe(0);
    expect(online.statsVersions).toBeGreaterThan(0);
    expect(oracle.podsArrived).toBe(online.podsArrived);
  });

  it("resampled workloads keep the chosen mix", () => {
    const out = resampleWorkload(pods, 2000, new Rng(5), { share: 1, whole: 0, multi: 0, cpu: 0 });
    expect(out.every((p) => p.numGpu === 1 && p.gpuMilli < 1000)).toBe(true);
  });
});

describe("seeds", () => {
  it("parses ranges and lists", () => {
    expect(parseSeeds("42-44")).toEqual([42, 43, 44]);
    expect(parseSeeds("1,5-6")).toEqual([1, 5, 6]);
    expect(() => parseSeeds("9-3")).toThrowError(expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }));
    expect(() => parseSeeds("x")).toThrowError(expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }));
  });
});

describe("gpupool sim (CLI contract)", () => {
  const dir = mkdtempSync(join(tmpdir(), "gpupool-sim-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(process.cwd(), "bin", "gpupool");
  const nodesFile = join(dir, "nodes.csv");
  const podsFile = join(dir, "pods.csv");
  const rng = new Rng(9);
  const nodes = syntheticNodes(builtinNodeTypes(), 30, rng);
  writeFileSync(
    nodesFile,
    `sn,cpu_milli,memory_mib,gpu,model\n${nodes.map((n) => `${n.name},${n.cpuMilli},${n.memoryMiB},${n.gpus.length},${n.gpus[0]?.model ?? ""}`).join("\n")}\n`,
  );
  writeFileSync(
    podsFile,
    `name,cpu_milli,memory_mib,num_gpu,gpu_milli\n${builtinPods()
      .map((p) => `${p.name},${p.cpuMilli},${p.memoryMiB},${p.numGpu},${p.gpuMilli}`)
      .join("\n")}\n`,
  );

  it("prints the JSON object other tools read", () => {
    const out = execFileSync(
      bin,
      ["sim", "--nodes", nodesFile, "--pods", podsFile, "--policy", "fgd", "--seeds", "42-43", "--json"],
      { encoding: "utf8" },
    );
    const j = JSON.parse(out);
    expect(Object.keys(j)).toEqual(["policy", "workload", "stats", "seeds", "runs", "mean", "podsPerSecond"]);
    expect(j.policy).toBe("fgd");
    expect(j.stats).toBe("online");
    expect(j.seeds).toEqual([42, 43]);
    expect(Object.keys(j.runs[0])).toEqual([
      "seed",
      "podsArrived",
      "podsPlaced",
      "allocatedPctAt100",
      "allocatedPctAt130",
      "seconds",
    ]);
    expect(Object.keys(j.mean)).toEqual(["allocatedPctAt100", "unallocatedPctAt100", "allocatedPctAt130"]);
    expect(j.mean.unallocatedPctAt100).toBeCloseTo(100 - j.mean.allocatedPctAt100, 3);
    expect(j.podsPerSecond).toBeGreaterThan(0);
  });

  it("draws a plot for several policies and prints a table", () => {
    const svg = join(dir, "out.svg");
    const out = execFileSync(
      bin,
      [
        "sim",
        "--nodes",
        nodesFile,
        "--pods",
        podsFile,
        "--policy",
        "bestfit,default",
        "--seeds",
        "1",
        "--plot",
        svg,
        "--no-progress",
      ],
      {
        encoding: "utf8",
      },
    );
    expect(out).toMatch(/policy\s+seeds\s+alloc% @100/);
    expect(out).toMatch(/^default\s/m);
    const text = readFileSync(svg, "utf8");
    expect(text).toMatch(/^<svg/);
    expect(text.match(/<polyline/g)).toHaveLength(2);
  });

  it("compares default with fgd per statistics mode: margin, standard error, seeds worse", () => {
    const out = execFileSync(
      bin,
      [
        "sim",
        "--nodes",
        nodesFile,
        "--pods",
        podsFile,
        "--policy",
        "fgd,default",
        "--seeds",
        "1-3",
        "--stats",
        "oracle,online",
        "--no-progress",
      ],
      { encoding: "utf8" },
    );
    expect(out).toMatch(/stats oracle:/);
    expect(out).toMatch(/stats online:/);
    expect(out).toMatch(
      /workload\s+stats\s+fgd unalloc%\s+default unalloc%\s+default − fgd\s+s\.e\.\s+seeds worse/,
    );
    expect(out).toMatch(/^\S+\s+oracle\s+[\d.]+\s+[\d.]+\s+-?[\d.]+\s+[\d.]+\s+\d\/3$/m);
    expect(out).toMatch(/^\S+\s+online\s+[\d.]+\s+[\d.]+\s+-?[\d.]+\s+[\d.]+\s+\d\/3$/m);
  });

  it("fails with a stable code and exit status on bad input", () => {
    const run = (args: string[]) => {
      try {
        execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        return { status: 0, stderr: "" };
      } catch (e) {
        const err = e as { status: number; stderr: string };
        return { status: err.status, stderr: err.stderr };
      }
    };
    const a = run(["sim", "--nodes", join(dir, "missing.csv"), "--pods", podsFile]);
    expect(a.status).toBe(3);
    expect(a.stderr).toMatch(/GP_TRACE_NOT_FOUND/);
    const b = run(["sim", "--nodes", nodesFile, "--pods", podsFile, "--policy", "nope"]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/GP_UNKNOWN_POLICY/);
    const c = run(["sim", "--nodes", nodesFile, "--pods", podsFile, "--stats", "psychic"]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/GP_INVALID_ARGUMENT.*--stats/);
  });
});
