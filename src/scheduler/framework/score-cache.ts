import type { Workload } from "../../core/workload.js";
import type { ArgmaxTree } from "./argmax-tree.js";
import type { Status } from "./status.js";

/** What filters and cacheable scores said about one pod shape on one node state. */
export interface CachedVerdict {
  readonly status: Status | null;
  readonly scores: readonly number[];
}

/** Bound on remembered node states per pod shape; beyond it the map starts over (rows stay valid). */
const MAX_STATES_PER_SHAPE = 1024;

/**
 * The equivalence cache (kube-scheduler had one too): filter verdicts and cacheable scores keyed by
 * (pod shape, node state). Two layers:
 *  - a row per shape indexed by node position, valid while the node's stateId is unchanged
 *    (the hot path: a typed-array compare per node);
 *  - a map per shape from stateId to verdict, so nodes in equal states share one computation.
 * Correct by the Filter/Score contract: cacheable plugins depend only on the shape and the state.
 */
export class ShapeCache {
  readonly rowState: Int32Array;
  readonly rowFeasible: Uint8Array;
  readonly rowScores: Float64Array;
  readonly rowStatus: (Status | null)[];
  readonly byState = new Map<number, CachedVerdict>();
  /** How many rows hold each status (null = feasible): the no-fit explanation without a scan. */
  readonly statusCounts = new Map<Status | null, number>();
  /** Incremental selection's compact form of byState: the score of a feasible state, the Status of an infeasible one. */
  readonly scoreByState = new Map<number, number>();
  readonly statusByState = new Map<number, Status>();
  /** Incremental selection (one cacheable score, no normalize, no tie-breaks): best node by score. */
  tree: ArgmaxTree | null = null;
  /** ChangeLog sequence the rows and tree reflect; -1: none (the tree must be rebuilt whole). */
  syncedSeq = 0;
  /** Nodes whose row says feasible. */
  feasibleCount = 0;

  /** `scoreCount` cached scores per node; incremental selection keeps its single score in the tree instead. */
  constructor(
    nodeCount: number,
    readonly scoreCount: number,
  ) {
    this.rowState = new Int32Array(nodeCount).fill(-1);
    this.rowFeasible = new Uint8Array(nodeCount);
    this.rowScores = new Float64Array(nodeCount * scoreCount);
    this.rowStatus = new Array(nodeCount).fill(null);
  }

  /**
   * Forgets every verdict (the scores changed: new workload statistics) but keeps the buffers, so a
   * new statistics version costs recomputation, not reallocation.
   */
  reset(): void {
    this.rowState.fill(-1);
    this.rowStatus.fill(null);
    this.statusCounts.clear();
    this.byState.clear();
    this.scoreByState.clear();
    this.statusByState.clear();
    this.feasibleCount = 0;
    this.syncedSeq = -1;
  }

  /** Sets row i's status, keeping statusCounts in step. */
  setStatus(i: number, status: Status | null): void {
    if (this.rowState[i] !== -1) {
      const old = this.rowStatus[i]!;
      const c = this.statusCounts.get(old)! - 1;
      if (c === 0) this.statusCounts.delete(old);
      else this.statusCounts.set(old, c);
    }
    this.rowStatus[i] = status;
    this.statusCounts.set(status, (this.statusCounts.get(status) ?? 0) + 1);
  }

  rememberIncremental(stateId: number, status: Status | null, score: number): void {
    if (this.scoreByState.size + this.statusByState.size >= MAX_STATES_PER_SHAPE) {
      this.scoreByState.clear();
      this.statusByState.clear();
    }
    if (status === null) this.scoreByState.set(stateId, score);
    else this.statusByState.set(stateId, status);
  }

  remember(stateId: number, verdict: CachedVerdict): void {
    if (this.byState.size >= MAX_STATES_PER_SHAPE) this.byState.clear();
    this.byState.set(stateId, verdict);
  }
}

/** Everything a filter or score may read of a pod, as one key (see FilterPlugin.cacheable). */
export function shapeKey(pod: Workload): string {
  const g = pod.gpu;
  const gpu =
    g.kind === "share"
      ? `s${g.milli}/${g.memoryMiB}`
      : g.kind === "whole"
        ? `w${g.count}`
        : g.kind === "mig"
          ? `m${g.profile}`
          : "n";
  const models = pod.gpuModels?.length ? pod.gpuModels.join("|") : "";
  const cuda = pod.cuda ? `${pod.cuda.version}${pod.cuda.forwardCompat ? "+fc" : ""}` : "";
  const nodes = pod.nodeConstraint ? pod.nodeConstraint.key : "";
  return `${pod.cpuMilli}|${pod.memoryMiB}|${gpu}|${models}|${cuda}|${pod.nvlink ?? ""}|${nodes}`;
}
