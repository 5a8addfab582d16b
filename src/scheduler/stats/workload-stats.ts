import type { Workload } from "../../core/workload.js";
import { type PodShape, ShapeHistogram, totalVariation, type WeightedShape } from "./shape-histogram.js";

export interface WorkloadStatsOptions {
  /** Pods after which an observation weighs half (default 10,000; Infinity: never forget). */
  readonly halfLife?: number;
  /** Share of the mass the typical shapes cover (FGD's 95 %). */
  readonly coverage?: number;
  /**
   * Republish only when the distribution moved this far (total variation) since the last
   * publication. Each publication makes every score cache start over, so this is a speed knob.
   */
  readonly threshold?: number;
  /**
   * Look again only after this fraction of the (decayed) pods the histogram rests on have arrived
   * (0.5: one look per 50 % growth, logarithmically many while it grows, then one per half of
   * its memory).
   */
  readonly spacing?: number;
  /** How many workload ids to remember so a pod retried every cycle counts once. */
  readonly rememberIds?: number;
}

/** What a published version of the statistics says; immutable. */
export interface PublishedStats {
  readonly version: number;
  /** Pods observed when this version was published. */
  readonly observed: number;
  /** The typical shapes (coverage of the mass), weights summing to 1. Empty before any pod. */
  readonly typical: readonly WeightedShape[];
  /** Every shape seen, weights summing to 1 (the default policy's reservations size rare big pods). */
  readonly demand: readonly WeightedShape[];
}

/** A workload's shape for the statistics; null for requests the typical-pod model has no shape for (MIG). */
export function workloadShape(w: Workload): PodShape | null {
  const g = w.gpu;
  const models = w.gpuModels ?? [];
  switch (g.kind) {
    case "none":
      return { cpuMilli: w.cpuMilli, memoryMiB: w.memoryMiB, gpuMilli: 0, gpuCount: 0, models };
    case "share":
      return { cpuMilli: w.cpuMilli, memoryMiB: w.memoryMiB, gpuMilli: g.milli, gpuCount: 1, models };
    case "whole":
      return { cpuMilli: w.cpuMilli, memoryMiB: w.memoryMiB, gpuMilli: 1000, gpuCount: g.count, models };
    case "mig":
      return null;
  }
}

const EMPTY: PublishedStats = { version: 0, observed: 0, typical: [], demand: [] };

/**
 * The workload's shape distribution learnt online: every workload the scheduler is asked to place
 * is observed once (by id) into a decayed histogram, before it is placed, and nothing else is. The
 * score plugins read `current`, which changes only at a publication (its `version` grows), so their
 * caches stay valid in between. Publications follow the histogram: at 1, 2, 3, 5, 8… pods while it
 * is young, later only when the distribution has moved by `threshold` since the last one.
 *
 * The same object serves the server (the agent's long-lived scheduler keeps one across node changes)
 * and the simulator (one per run): what the policy knows after N pods depends on those N pods only.
 */
export class WorkloadStats {
  private readonly hist: ShapeHistogram;
  private readonly coverage: number;
  private readonly threshold: number;
  private readonly spacing: number;
  private readonly rememberIds: number;
  private readonly seen = new Set<string>();
  private published: PublishedStats = EMPTY;
  private publishedDist = new Map<string, number>();
  private nextLook = 1;

  constructor(opts: WorkloadStatsOptions = {}) {
    this.hist = new ShapeHistogram(opts.halfLife ?? 10_000);
    this.coverage = opts.coverage ?? 0.95;
    this.threshold = opts.threshold ?? 0.02;
    this.spacing = opts.spacing ?? 0.5;
    this.rememberIds = opts.rememberIds ?? 100_000;
  }

  /** The statistics the policy uses now. */
  get current(): PublishedStats {
    return this.published;
  }

  get version(): number {
    return this.published.version;
  }

  /** Pods observed (counted once each). */
  get observed(): number {
    return this.hist.observed;
  }

  /** Counts `w` into the statistics unless its id was already counted; true when it was new. */
  observe(w: Workload): boolean {
    if (this.seen.has(w.id)) return false;
    this.seen.add(w.id);
    if (this.seen.size > this.rememberIds) {
      // Forget the oldest id (Sets iterate in insertion order).
      for (const old of this.seen) {
        this.seen.delete(old);
        break;
      }
    }
    const shape = workloadShape(w);
    if (shape === null) return true;
    this.hist.observe(shape);
    if (this.hist.observed >= this.nextLook) this.look();
    return true;
  }

  private look(): void {
    const n = this.hist.observed;
    this.nextLook = n + Math.max(1, Math.ceil(this.hist.effective * this.spacing));
    const dist = this.hist.distribution();
    if (this.published.version > 0 && totalVariation(dist, this.publishedDist) < this.threshold) return;
    this.publishedDist = dist;
    this.published = {
      version: this.published.version + 1,
      observed: n,
      typical: this.hist.typical(this.coverage),
      demand: this.hist.typical(1),
    };
  }
}
