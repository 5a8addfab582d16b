import type { RunResult } from "./experiment.js";

/**
 * How much fewer GPUs one policy leaves unallocated than another on the same runs. Runs pair by seed:
 * a seed fixes the tuned workload and the node order, so the difference per seed is the policy's
 * effect alone; the standard error is that of the mean of those differences.
 */
export interface Margin {
  /** Seeds both policies ran. */
  readonly seeds: number;
  /** Mean of (unallocated % of `challenger`) − (unallocated % of `baseline`) at arrived = 100; < 0: challenger wastes less. */
  readonly mean: number;
  /** Standard error of that mean (sample standard deviation / √seeds); NaN with fewer than 2 seeds. */
  readonly stdErr: number;
  /** Seeds on which the challenger left more unallocated than the baseline. */
  readonly losses: number;
}

export function margin(challenger: readonly RunResult[], baseline: readonly RunResult[]): Margin {
  const base = new Map(baseline.map((r) => [r.seed, r.allocatedPctAt100]));
  const diffs: number[] = [];
  for (const r of challenger) {
    const b = base.get(r.seed);
    // Unallocated = 100 − allocated, so the difference of unallocated is minus that of allocated.
    if (b !== undefined) diffs.push(b - r.allocatedPctAt100);
  }
  const n = diffs.length;
  const mean = n ? diffs.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const variance = n > 1 ? diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1) : Number.NaN;
  return { seeds: n, mean, stdErr: Math.sqrt(variance / n), losses: diffs.filter((d) => d > 0).length };
}

/** "−0.63 ± 0.04 (0/10 seeds worse)". */
export function formatMargin(m: Margin): string {
  const sign = (x: number) => (x < 0 ? `−${(-x).toFixed(2)}` : `+${x.toFixed(2)}`);
  const se = Number.isNaN(m.stdErr) ? "n/a" : m.stdErr.toFixed(2);
  return `${sign(m.mean)} ± ${se} (${m.losses}/${m.seeds} seeds worse)`;
}
