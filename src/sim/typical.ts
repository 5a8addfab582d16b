import type { TypicalPod } from "../scheduler/plugins/fgd.js";
import type { TracePod } from "./trace.js";

/**
 * FGD's target workload: the original trace's pod shapes (CPU, per-GPU milli, GPU count, allowed
 * models; memory ignored for grouping), most frequent first, until `coverage` of the pods is covered,
 * with weights renormalised. CPU-only pods count too. Each shape also carries its mean host memory,
 * read only by memory-aware fragmentation.
 */
export function typicalPods(pods: readonly TracePod[], coverage = 0.95): TypicalPod[] {
  const groups = new Map<string, { pod: TracePod; count: number; mem: number }>();
  for (const p of pods) {
    const key = `${p.cpuMilli}|${p.gpuMilli}|${p.numGpu}|${p.gpuSpec.join("|")}`;
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.mem += p.memoryMiB;
    } else groups.set(key, { pod: p, count: 1, mem: p.memoryMiB });
  }
  const sorted = [...groups.entries()].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  const out: TypicalPod[] = [];
  let covered = 0;
  for (const [, g] of sorted) {
    if (covered >= coverage * pods.length) break;
    covered += g.count;
    out.push({
      cpuMilli: g.pod.cpuMilli,
      memoryMiB: Math.round(g.mem / g.count),
      gpuMilli: g.pod.gpuMilli,
      gpuCount: g.pod.numGpu,
      models: [...g.pod.gpuSpec],
      weight: g.count,
    });
  }
  return out;
}
