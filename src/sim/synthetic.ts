import type { NodeSpec } from "../core/node.js";
import type { Rng } from "../scheduler/framework/rng.js";
import type { TracePod } from "./trace.js";

/**
 * Synthetic clusters and workloads shaped like a real trace, for benchmarks at sizes no trace has and
 * for checking policies on workloads they were not tuned on. Pure: the caller supplies the RNG.
 */

/** `count` nodes drawn (with replacement) from the node types of `template`, named synth-00000… */
export function syntheticNodes(template: readonly NodeSpec[], count: number, rng: Rng): NodeSpec[] {
  if (template.length === 0) throw new Error("syntheticNodes: empty template");
  return Array.from({ length: count }, (_, i) => {
    const t = template[rng.int(template.length)]!;
    return { ...t, name: `synth-${String(i).padStart(5, "0")}` };
  });
}

/** A built-in node mix when no trace is at hand: 8-GPU, 4-GPU and 2-GPU nodes. */
export function builtinNodeTypes(): NodeSpec[] {
  const gpus = (n: number, model: string, memoryMiB: number) =>
    Array.from({ length: n }, (_, index) => ({ index, model, memoryMiB }));
  return [
    { name: "t8", cpuMilli: 96000, memoryMiB: 393216, gpus: gpus(8, "A100-80GB", 81920) },
    { name: "t8", cpuMilli: 96000, memoryMiB: 393216, gpus: gpus(8, "A100-80GB", 81920) },
    { name: "t4", cpuMilli: 64000, memoryMiB: 262144, gpus: gpus(4, "T4", 15360) },
    { name: "t2", cpuMilli: 104000, memoryMiB: 524288, gpus: gpus(2, "T4", 15360) },
  ];
}

/** A built-in pod mix when no trace is at hand (shares, whole GPUs, multi-GPU, CPU-only). */
export function builtinPods(): TracePod[] {
  const shapes: [cpu: number, mem: number, num: number, milli: number, weight: number][] = [
    [12000, 40960, 1, 1000, 40],
    [4000, 8192, 1, 810, 12],
    [8000, 32768, 1, 470, 9],
    [10000, 40960, 1, 650, 3],
    [4000, 16384, 1, 320, 4],
    [4000, 16384, 1, 230, 2],
    [88000, 327680, 8, 1000, 1],
    [32000, 131072, 2, 1000, 1],
    [8000, 16384, 0, 0, 12],
  ];
  const pods: TracePod[] = [];
  for (const [cpu, mem, num, milli, weight] of shapes) {
    for (let k = 0; k < weight * 10; k++) {
      pods.push({
        name: `builtin-${pods.length}`,
        cpuMilli: cpu,
        memoryMiB: mem,
        numGpu: num,
        gpuMilli: milli,
        gpuSpec: [],
      });
    }
  }
  return pods;
}

/**
 * A new workload of `count` pods resampled from `pods`, where pods of each kind (CPU-only, GPU share,
 * one whole GPU, multi-GPU) are drawn with the given relative weights (default: as in the source).
 * This is how the published trace variants (cpu100, gpushare40, multigpu20…) were derived from the
 * default trace, so it makes "unseen" variants of the same format.
 */
export function resampleWorkload(
  pods: readonly TracePod[],
  count: number,
  rng: Rng,
  weights: Partial<Record<"cpu" | "share" | "whole" | "multi", number>> = {},
): TracePod[] {
  const kinds: Record<"cpu" | "share" | "whole" | "multi", TracePod[]> = {
    cpu: [],
    share: [],
    whole: [],
    multi: [],
  };
  for (const p of pods) {
    const k = p.numGpu === 0 ? "cpu" : p.numGpu > 1 ? "multi" : p.gpuMilli < 1000 ? "share" : "whole";
    kinds[k].push(p);
  }
  const names = (Object.keys(kinds) as (keyof typeof kinds)[]).filter((k) => kinds[k].length > 0);
  const w = names.map((k) => weights[k] ?? kinds[k].length);
  const total = w.reduce((a, b) => a + b, 0);
  return Array.from({ length: count }, (_, i) => {
    let r = rng.next() * total;
    let k = 0;
    while (k < names.length - 1 && r >= w[k]!) r -= w[k++]!;
    const pool = kinds[names[k]!];
    const p = pool[rng.int(pool.length)]!;
    return { ...p, name: `resampled-${String(i).padStart(6, "0")}` };
  });
}

/**
 * The same workload with a different share of model-constrained GPU pods: each GPU pod is replaced
 * by a random constrained one with probability `fraction`, else by a random unconstrained one (as
 * the published gpuspec10/20/25/33 variants differ).
 */
export function withConstrainedShare(pods: readonly TracePod[], fraction: number, rng: Rng): TracePod[] {
  const constrained = pods.filter((p) => p.numGpu > 0 && p.gpuSpec.length > 0);
  const free = pods.filter((p) => p.numGpu > 0 && p.gpuSpec.length === 0);
  if (constrained.length === 0 || free.length === 0) return [...pods];
  return pods.map((p, i) => {
    if (p.numGpu === 0) return p;
    const pool = rng.next() < fraction ? constrained : free;
    return { ...pool[rng.int(pool.length)]!, name: `constrained-${String(i).padStart(6, "0")}` };
  });
}
