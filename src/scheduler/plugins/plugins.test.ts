import { describe, expect, it } from "vitest";
import type { NodeSpec } from "../../core/node.js";
import type { Workload } from "../../core/workload.js";
import { policyProfile } from "../policies.js";
import { makeNode, makePod } from "../test-support/builders.js";
import { Scheduler } from "../scheduler.js";
import { Snapshot } from "../snapshot/snapshot.js";
import { Statement } from "../snapshot/statement.js";
import { BestFitScore, ClusteringScore, DotProductScore, PackingScore } from "./baseline-scores.js";
import { FgdScore } from "./fgd.js";
import { migStart, nvlinkSet } from "./gpu-devices.js";

/** A trace-style node (model label, 8 GPUs by default) with some GPUs partly used. */
function nodeWith(
  free: number[],
  cpuMilli = 96000,
  cpuUsed = 0,
): { snap: Snapshot; node: ReturnType<Snapshot["node"]> & {} } {
  const spec: NodeSpec = {
    name: "n",
    cpuMilli,
    memoryMiB: 1 << 20,
    gpus: free.map((_, index) => ({ index, model: "G2", memoryMiB: 0 })),
  };
  const snap = new Snapshot([spec]);
  const stmt = new Statement(snap);
  const gpus = free.flatMap((f, index) => (f < 1000 ? [{ index, milli: 1000 - f, memoryMiB: 0 }] : []));
  const used: Workload = {
    id: "used",
    cpuMilli: cpuUsed,
    memoryMiB: 0,
    gpu: { kind: "share", milli: 1, memoryMiB: 0 },
  };
  if (gpus.length || cpuUsed)
    stmt.allocate(used, { workloadId: "used", node: "n", cpuMilli: cpuUsed, memoryMiB: 0, gpus });
  return { snap, node: snap.node("n")! };
}

const share = (milli: number, cpu = 4000): Workload => ({
  id: "p",
  cpuMilli: cpu,
  memoryMiB: 0,
  gpu: { kind: "share", milli, memoryMiB: 0 },
});
const norms = { cpu: 128000, gpu: 8000 };

describe("baseline scores follow FGD-PROTOCOL.md", () => {
  it("dot product", () => {
    const { node } = nodeWith([1000, 1000, 500, 0], 64000, 32000);
    // cpuL 32000, cpuR 4000, gpuL 2500, gpuR 500: 100*(1-0.5*((32000/128000)*(4000/128000)+(2500/8000)*(500/8000)))
    expect(new DotProductScore(norms).score(null, share(500), node)).toBe(
      Math.floor(100 * (1 - 0.5 * ((32000 / 128000) * (4000 / 128000) + (2500 / 8000) * (500 / 8000)))),
    );
  });

  it("packing: empty node, partly used GPUs, breaking into a free GPU", () => {
    const p = new PackingScore();
    expect(p.score(null, share(500), nodeWith([1000, 1000]).node)).toBe(Math.max(33 - 2, 2));
    // best device ascending by free that fits: the 600-free GPU; sum(600*100//1000)=60 → 100 - 60//10 = 94
    expect(p.score(null, share(500), nodeWith([1000, 600]).node)).toBe(94);
    // only a fully free GPU fits → max(50 - 1, 33)
    expect(p.score(null, share(700), nodeWith([1000, 600]).node)).toBe(49);
    expect(p.score(null, { ...share(0), gpu: { kind: "none" } }, nodeWith([1000]).node)).toBe(0);
  });

  it("clustering: same kind on the node scores highest", () => {
    const c = new ClusteringScore(norms);
    const { node } = nodeWith([1000, 500]);
    // node holds a share-gpu pod; gpuL = 1500 → b = 25*(8000-1500)//8000 = 20
    expect(c.score(null, share(300), node)).toBe(20 + 75);
    expect(c.score(null, { ...share(0), gpu: { kind: "whole", count: 1 } }, node)).toBe(20);
    expect(c.score(null, share(300), nodeWith([1000, 1000]).node)).toBe(Math.floor((25 * 6000) / 8000) + 25);
  });

  it("best fit: min-max normalised across feasible nodes", () => {
    const b = new BestFitScore(norms);
    const scores = new Float64Array([10, 20, 40]);
    b.normalize(null, share(1), scores, 3);
    expect([...scores]).toEqual([0, 33, 100]);
    const same = new Float64Array([7, 7]);
    b.normalize(null, share(1), same, 2);
    expect([...same]).toEqual([0, 0]);
  });
});

describe("FGD", () => {
  const typical = (gpuMilli: number, gpuCount: number, weight: number, cpuMilli = 0) => ({
    cpuMilli,
    memoryMiB: 0,
    gpuMilli,
    gpuCount,
    models: [],
    weight,
  });

  it("fragmentation counts the free share each typical pod cannot use", () => {
    const f = new FgdScore({
      typicalPods: [typical(500, 1, 1), typical(1000, 1, 1)],
      memoryAware: false,
      floor: true,
      sigmoidScale: 1000,
      strandWeight: 0,
    });
    const { node } = nodeWith([1000, 300]);
    // 500-pod: the 300 GPU is fragment (300); 1000-pod: the 300 GPU too (300). Mean 300.
    expect(f.fragmentation(node, node.cpuFree, node.memFree, node.gpuFree, 2)).toBe(300);
    // a node without CPU for the typical pod is all fragment
    const g = new FgdScore({
      typicalPods: [typical(500, 1, 1, 8000)],
      memoryAware: false,
      floor: true,
      sigmoidScale: 1000,
      strandWeight: 0,
    });
    const starved = nodeWith([1000, 300], 6000).node;
    expect(g.fragmentation(starved, starved.cpuFree, starved.memFree, starved.gpuFree, 2)).toBe(1300);
  });

  it("prefers the GPU whose use lowers fragmentation: fills a sliver rather than breaking a whole GPU", () => {
    const f = new FgdScore({
      typicalPods: [typical(1000, 1, 3), typical(300, 1, 1)],
      memoryAware: false,
      floor: true,
      sigmoidScale: 1000,
      strandWeight: 0,
    });
    const { node } = nodeWith([1000, 300]);
    expect(f.chooseDevices(null, share(300), node)).toEqual([{ index: 1, milli: 300, memoryMiB: 0 }]);
  });
});

describe("GPU devices", () => {
  it("finds NVLink-connected sets and refuses unlinked ones", () => {
    const s = new Snapshot([makeNode("a", { gpus: 4, nvlink: "pairs" })]);
    const n = s.node("a")!;
    expect(nvlinkSet(n, [0, 1, 2, 3], 2)).toEqual([0, 1]);
    expect(nvlinkSet(n, [1, 2, 3], 2)).toEqual([2, 3]);
    expect(nvlinkSet(n, [0, 2], 2)).toBeNull();
    expect(nvlinkSet(n, [0, 1, 2, 3], 4)).toBeNull();
  });

  it("places MIG instances by the model's geometry", () => {
    const sch = new Scheduler([makeNode("a", { gpus: 1, mig: true, model: "A100-40GB" })], {
      profile: policyProfile("default"),
    });
    const ok = (profile: string) =>
      sch.placeNow(makePod(`p-${profile}-${Math.random()}`, { mig: profile })).ok;
    expect(ok("4g.20gb")).toBe(true);
    expect(ok("4g.20gb")).toBe(false); // one 4g per GPU
    expect(ok("3g.20gb")).toBe(true); // 4g + 3g coexist
    expect(ok("1g.5gb")).toBe(false); // 7 compute slices used
    const n = sch.snapshot.node("a")!;
    expect(n.migUsedCompute[0]).toBe(7);
    expect(
      migStart(n, 0, {
        name: "1g.5gb",
        computeSlices: 1,
        memorySlices: 1,
        memoryMiB: 4864,
        maxCount: 7,
        starts: [0, 1, 2, 3, 4, 5, 6],
      }),
    ).toBe(-1);
  });

  it("never shares a MIG GPU by milli nor hands it out whole", () => {
    const sch = new Scheduler([makeNode("a", { gpus: 1, mig: true })], { profile: policyProfile("default") });
    expect(sch.placeNow(makePod("s", { share: 100 })).ok).toBe(false);
    expect(sch.placeNow(makePod("w", { gpus: 1 })).ok).toBe(false);
  });
});

describe("default policy", () => {
  it("keeps NVLink-connected GPUs together for multi-GPU pods", () => {
    const sch = new Scheduler(
      [makeNode("unlinked", { gpus: 4 }), makeNode("linked", { gpus: 4, nvlink: "pairs" })],
      { profile: policyProfile("default") },
    );
    const d = sch.placeNow(makePod("p", { gpus: 2 }));
    expect(d.ok && d.allocation).toMatchObject({ node: "linked", gpus: [{ index: 0 }, { index: 1 }] });
  });

  it("filters nodes whose driver cannot run the pod's CUDA", () => {
    const sch = new Scheduler(
      [makeNode("old", { gpus: 1, driver: "470.42.01" }), makeNode("new", { gpus: 1, driver: "550.54.14" })],
      {
        profile: policyProfile("default"),
      },
    );
    const d = sch.placeNow(makePod("p", { gpus: 1, cuda: { version: "12.4" } }));
    expect(d.ok && d.allocation.node).toBe("new");
    const e = sch.placeNow(makePod("q", { gpus: 1, cuda: { version: "12.4" } }));
    expect(!e.ok && e.status.message()).toMatch(/cannot run CUDA 12.4/);
  });

  it("reserves no CPU or memory for a pod that asks none (0): shares are bounded by the GPUs only", () => {
    for (const policy of ["default", "fgd"] as const) {
      const sch = new Scheduler([makeNode("small", { gpus: 2, cpuMilli: 2000, memoryMiB: 1024 })], {
        profile: policyProfile(policy),
      });
      const pods = Array.from({ length: 9 }, (_, i) =>
        makePod(`p${i}`, { share: 250, cpuMilli: 0, memoryMiB: 0 }),
      );
      const placed = pods.map((p) => sch.placeNow(p));
      expect(
        placed.slice(0, 8).every((d) => d.ok && d.allocation.cpuMilli === 0),
        policy,
      ).toBe(true);
      expect(placed[8]!.ok, policy).toBe(false);
      // A pod that asks for CPU still finds all 2 cores free.
      expect(sch.placeNow(makePod("cpu", { cpuMilli: 2000, memoryMiB: 1024 })).ok, policy).toBe(true);
    }
  });
});
