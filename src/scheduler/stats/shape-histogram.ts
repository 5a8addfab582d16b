/**
 * A decayed histogram of pod shapes: how often each (CPU, per-GPU milli, GPU count, allowed models)
 * has been seen, recent pods weighing more. Pure: no clock, no I/O; "time" is the number of pods
 * observed, so the same pods in the same order give the same histogram in the server and in the
 * simulator.
 */

/** One pod's shape as the statistics group it (memory is averaged per group, not part of the key). */
export interface PodShape {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** Per-GPU compute milli; 0 for a pod without GPUs. */
  readonly gpuMilli: number;
  readonly gpuCount: number;
  readonly models: readonly string[];
}

/** A shape with its (decayed) weight: the target workload of fragmentation-aware scoring. */
export interface WeightedShape {
  cpuMilli: number;
  memoryMiB: number;
  gpuMilli: number;
  gpuCount: number;
  models: string[];
  weight: number;
}

interface Bin {
  readonly shape: PodShape;
  /** Decayed count, in units of the current increment scale (see ShapeHistogram.unit). */
  count: number;
  /** Decayed sum of memory MiB, same units. */
  mem: number;
}

/** Grouping key; the same as the oracle's (sim/typical.ts) so equal inputs sort equally. */
export function shapeKeyOf(s: PodShape): string {
  return `${s.cpuMilli}|${s.gpuMilli}|${s.gpuCount}|${s.models.join("|")}`;
}

/** Past this, every bin is rescaled (the increment grows geometrically instead of decaying every bin). */
const RESCALE_AT = 1e200;

export class ShapeHistogram {
  private readonly bins = new Map<string, Bin>();
  /** Weight of the next observation; grows by `growth` per pod, which is decay of everything before. */
  private unit = 1;
  private readonly growth: number;
  /** Sum of bin counts (same units as the bins). */
  private total = 0;
  private n = 0;

  /** `halfLife`: pods after which an observation weighs half as much (Infinity: plain counts). */
  constructor(readonly halfLife = Number.POSITIVE_INFINITY) {
    if (!(halfLife > 0)) throw new RangeError(`halfLife must be > 0, got ${halfLife}`);
    this.growth = Number.isFinite(halfLife) ? 2 ** (1 / halfLife) : 1;
  }

  /** Pods observed so far. */
  get observed(): number {
    return this.n;
  }

  /** The decayed mass in pods (the latest weighs 1): the sample size the distribution rests on. */
  get effective(): number {
    return this.total / this.unit;
  }

  /** Distinct shapes seen. */
  get size(): number {
    return this.bins.size;
  }

  observe(shape: PodShape): void {
    if (this.n > 0 && this.growth !== 1) {
      this.unit *= this.growth;
      if (this.unit > RESCALE_AT) this.rescale();
    }
    this.n++;
    const key = shapeKeyOf(shape);
    const b = this.bins.get(key);
    if (b) {
      b.count += this.unit;
      b.mem += this.unit * shape.memoryMiB;
    } else {
      this.bins.set(key, { shape, count: this.unit, mem: this.unit * shape.memoryMiB });
    }
    this.total += this.unit;
  }

  private rescale(): void {
    const k = 1 / this.unit;
    for (const b of this.bins.values()) {
      b.count *= k;
      b.mem *= k;
    }
    this.total *= k;
    this.unit = 1;
  }

  /** Each shape's share of the decayed mass (sums to 1), by key. Empty before any observation. */
  distribution(): Map<string, number> {
    const out = new Map<string, number>();
    if (this.total === 0) return out;
    for (const [k, b] of this.bins) out.set(k, b.count / this.total);
    return out;
  }

  /**
   * The most frequent shapes, until `coverage` of the (decayed) mass is covered: FGD's "typical
   * pods". Weights are the shares of the mass; memory is each shape's decayed mean. Ties in weight
   * go to the smaller key, so the result is deterministic.
   */
  typical(coverage = 0.95): WeightedShape[] {
    const sorted = [...this.bins.entries()].sort(
      (a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
    );
    const out: WeightedShape[] = [];
    let covered = 0;
    for (const [, b] of sorted) {
      if (covered >= coverage * this.total) break;
      covered += b.count;
      out.push({
        cpuMilli: b.shape.cpuMilli,
        memoryMiB: Math.round(b.mem / b.count),
        gpuMilli: b.shape.gpuMilli,
        gpuCount: b.shape.gpuCount,
        models: [...b.shape.models],
        weight: b.count / this.total,
      });
    }
    return out;
  }
}

/** Total variation distance between two distributions given as key → probability. */
export function totalVariation(p: ReadonlyMap<string, number>, q: ReadonlyMap<string, number>): number {
  let d = 0;
  for (const [k, v] of p) d += Math.abs(v - (q.get(k) ?? 0));
  for (const [k, v] of q) if (!p.has(k)) d += v;
  return d / 2;
}
