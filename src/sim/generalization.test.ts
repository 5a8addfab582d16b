import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Rng } from "../scheduler/framework/rng.js";
import type { Policy } from "../scheduler/policies.js";
import { runExperiment } from "./experiment.js";
import { resampleWorkload, withConstrainedShare } from "./synthetic.js";
import { requireTraceOrSkip, TRACE } from "./test-support/published.js";
import { parseNodes, parsePods, type TracePod } from "./trace.js";

/**
 * Issue #2, acceptance 2, "traces it has never seen": workloads of the same format derived from the
 * trace the way the published variants were (more shares, more multi-GPU pods, more CPU-only pods,
 * more model-constrained pods), none of which the default policy was tuned on. Seeds 42-44.
 * The paper's protocol: typical pods from the whole pod list beforehand (oracle statistics).
 */
const ORACLE = { stats: "oracle" } as const;
describe.runIf(requireTraceOrSkip())("default beats fgd on unseen trace variants", () => {
  const nodes = parseNodes(readFileSync(join(TRACE, "openb_node_list_gpu_node.csv"), "utf8"));
  const base = parsePods(readFileSync(join(TRACE, "openb_pod_list_default.csv"), "utf8"));
  const spec = parsePods(readFileSync(join(TRACE, "openb_pod_list_gpuspec20.csv"), "utf8"));
  const count = { cpu: 0, share: 0, whole: 0, multi: 0 };
  for (const p of base)
    count[p.numGpu === 0 ? "cpu" : p.numGpu > 1 ? "multi" : p.gpuMilli < 1000 ? "share" : "whole"]++;
  const variants: Record<string, () => TracePod[]> = {
    gpushare80: () =>
      resampleWorkload(base, base.length, new Rng(1234), { share: 80, whole: 18, multi: 2, cpu: 0 }),
    multigpu50: () =>
      resampleWorkload(base, base.length, new Rng(1234), { ...count, multi: count.share + count.whole }),
    cpu250: () => resampleWorkload(base, base.length, new Rng(1234), { ...count, cpu: count.cpu * 2.5 }),
    gpuspec33: () => withConstrainedShare(spec, 0.33, new Rng(99)),
  };
  const unallocated = (pods: TracePod[], policy: Policy) =>
    100 -
    [42, 43, 44].reduce(
      (s, seed) => s + runExperiment(nodes, pods, policy, seed, ORACLE).allocatedPctAt100,
      0,
    ) /
      3;

  it("the whole cluster, CPU-only nodes included (openb_node_list_all_node.csv)", () => {
    const all = parseNodes(readFileSync(join(TRACE, "openb_node_list_all_node.csv"), "utf8"));
    const mean = (policy: Policy) =>
      100 -
      [42, 43, 44].reduce(
        (s, seed) => s + runExperiment(all, base, policy, seed, ORACLE).allocatedPctAt100,
        0,
      ) /
        3;
    const fgd = mean("fgd");
    const ours = mean("default");
    console.log(`all nodes: unallocated fgd ${fgd.toFixed(2)} %, default ${ours.toFixed(2)} %`);
    expect(ours).toBeLessThan(fgd);
  }, 300_000);

  for (const [name, make] of Object.entries(variants)) {
    it(name, () => {
      const pods = make();
      const fgd = unallocated(pods, "fgd");
      const ours = unallocated(pods, "default");
      console.log(`${name}: unallocated fgd ${fgd.toFixed(2)} %, default ${ours.toFixed(2)} %`);
      expect(ours).toBeLessThan(fgd);
    }, 300_000);
  }
});
