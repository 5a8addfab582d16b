import type { Rng } from "../scheduler/framework/rng.js";
import type { TracePod } from "./trace.js";

/** GPU compute a trace pod asks for in total (milli). */
export function podGpuMilli(p: TracePod): number {
  return p.numGpu * p.gpuMilli;
}

/**
 * The FGD experiment's workload "tuning" (FGD-PROTOCOL.md): sort by name, shuffle with the run's
 * RNG, then grow (draw from the original trace with replacement) or shrink (drop random pods) the
 * list until it asks for `tune` × the cluster's GPU compute.
 *
 * Note the protocol's stop test compares the PER-GPU milli of the drawn pod against the room left.
 */
export function inflate(
  original: readonly TracePod[],
  clusterGpuMilli: number,
  rng: Rng,
  tune = 1.3,
): TracePod[] {
  const sorted = [...original].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const pods = rng.shuffle([...sorted]);
  const target = tune * clusterGpuMilli;
  let total = 0;
  for (const p of pods) total += podGpuMilli(p);
  if (total < target) {
    for (;;) {
      const p = sorted[rng.int(sorted.length)]!;
      if (total + p.gpuMilli > target) break;
      pods.push(p);
      total += podGpuMilli(p);
    }
  } else {
    while (total > target && pods.length > 0) {
      const k = rng.int(pods.length);
      total -= podGpuMilli(pods[k]!);
      pods.splice(k, 1);
    }
  }
  return pods;
}
