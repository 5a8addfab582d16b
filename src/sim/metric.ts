/**
 * The FGD paper's allocation metric. After every pod attempt the experiment records
 * arrived% = round-half-even(100 · arrived GPU milli / cluster milli) and
 * allocated% = 100 · allocated milli / cluster milli. value(k) = mean allocated% over the steps whose
 * arrived% is k (or, if none, those at k ± 1).
 */
export class AllocationCurve {
  private readonly sums: number[] = [];
  private readonly counts: number[] = [];

  constructor(private readonly clusterMilli: number) {}

  record(arrivedMilli: number, allocatedMilli: number): void {
    const k = roundHalfEven((100 * arrivedMilli) / this.clusterMilli);
    this.sums[k] = (this.sums[k] ?? 0) + (100 * allocatedMilli) / this.clusterMilli;
    this.counts[k] = (this.counts[k] ?? 0) + 1;
  }

  /** Mean allocated % at arrived % = k, with the k ± 1 fallback; NaN when there are no steps near k. */
  at(k: number): number {
    const c = this.counts[k] ?? 0;
    if (c > 0) return this.sums[k]! / c;
    let s = 0;
    let n = 0;
    for (const j of [k - 1, k + 1]) {
      s += this.sums[j] ?? 0;
      n += this.counts[j] ?? 0;
    }
    return n > 0 ? s / n : Number.NaN;
  }

  /** value(k) for k = 0..max. */
  series(max: number): number[] {
    return Array.from({ length: max + 1 }, (_, k) => this.at(k));
  }
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
