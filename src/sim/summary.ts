import type { RunResult } from "./experiment.js";

/** The `sim --json` contract: one object per policy. */
export interface PolicySummary {
  readonly policy: string;
  /** The pod list (a --workload name, or the --pods file's name). */
  readonly workload: string;
  /** Where fgd/default got their typical pods: "oracle" (the paper's protocol) or "online". */
  readonly stats: string;
  readonly seeds: number[];
  readonly runs: {
    seed: number;
    podsArrived: number;
    podsPlaced: number;
    allocatedPctAt100: number;
    allocatedPctAt130: number;
    seconds: number;
  }[];
  readonly mean: { allocatedPctAt100: number; unallocatedPctAt100: number; allocatedPctAt130: number };
  /** Pods attempted per second of scheduling (CSV parsing and workload tuning excluded). */
  readonly podsPerSecond: number;
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function summarize(
  policy: string,
  runs: readonly RunResult[],
  workload = "",
  stats = "online",
): PolicySummary {
  const at100 = mean(runs.map((r) => r.allocatedPctAt100));
  const at130 = mean(runs.map((r) => r.allocatedPctAt130));
  const pods = runs.reduce((s, r) => s + r.podsArrived, 0);
  const secs = runs.reduce((s, r) => s + r.seconds, 0);
  return {
    policy,
    workload,
    stats,
    seeds: runs.map((r) => r.seed),
    runs: runs.map((r) => ({
      seed: r.seed,
      podsArrived: r.podsArrived,
      podsPlaced: r.podsPlaced,
      allocatedPctAt100: round(r.allocatedPctAt100),
      allocatedPctAt130: round(r.allocatedPctAt130),
      seconds: round(r.seconds),
    })),
    mean: {
      allocatedPctAt100: round(at100),
      unallocatedPctAt100: round(100 - at100),
      allocatedPctAt130: round(at130),
    },
    podsPerSecond: Math.round(secs > 0 ? pods / secs : 0),
  };
}

/** Median over runs of value(k) for each k (the paper's Fig. 9(a) curve). */
export function medianCurve(runs: readonly RunResult[]): number[] {
  const len = runs[0]?.curve.length ?? 0;
  return Array.from({ length: len }, (_, k) => {
    const xs = runs
      .map((r) => r.curve[k]!)
      .filter((x) => !Number.isNaN(x))
      .sort((a, b) => a - b);
    if (xs.length === 0) return Number.NaN;
    const m = xs.length >> 1;
    return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
  });
}

/** A plain-text table of policy summaries, widest first column, numbers right-aligned. */
export function formatTable(summaries: readonly PolicySummary[]): string {
  const head = ["policy", "seeds", "alloc% @100", "unalloc% @100", "alloc% @130", "pods/s"];
  const rows = summaries.map((s) => [
    s.policy,
    s.seeds.length === 1 ? String(s.seeds[0]) : `${s.seeds[0]}–${s.seeds[s.seeds.length - 1]}`,
    s.mean.allocatedPctAt100.toFixed(2),
    s.mean.unallocatedPctAt100.toFixed(2),
    s.mean.allocatedPctAt130.toFixed(2),
    String(s.podsPerSecond),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
