import type { Allocation, GpuAssignment } from "../../core/allocation.js";
import type { Workload } from "../../core/workload.js";
import type { NodeInfo } from "../snapshot/node-info.js";
import type { Snapshot } from "../snapshot/snapshot.js";
import type { WorkloadStats } from "../stats/workload-stats.js";
import type { CycleState } from "./cycle-state.js";
import type { MaybeStatus } from "./status.js";
import type { Rng } from "./rng.js";

/**
 * The extension points of a scheduling cycle, each a tiny interface (after kube-scheduler's
 * framework). A plugin implements any subset; the profile says which plugin serves which point.
 *
 * Cycle: preFilter (once per pod) → filter (per node) → score (per feasible node) → normalize →
 * select (highest total; ties by tieBreak plugins, then node order) → devices (which GPUs on the node)
 * → reserve → permit → bind (by the caller).
 */
export interface Plugin {
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  /** Runs once per pod; may write CycleState for filter/score. Return a Status to reject the pod outright. */
  preFilter(state: CycleState, pod: Workload): MaybeStatus;
}

export interface FilterPlugin extends Plugin {
  /**
   * Whether the pod fits the node. Contract: the answer depends only on the pod's scheduling shape
   * (resources, GPU request, allowed models, CUDA need) and the node's state (NodeInfo.stateId), so
   * the framework may reuse it for equal shapes on equal node states. A plugin that cannot promise
   * that sets `cacheable = false`.
   */
  filter(state: CycleState, pod: Workload, node: NodeInfo): MaybeStatus;
  readonly cacheable?: boolean;
}

export interface ScorePlugin extends Plugin {
  /** Same contract as FilterPlugin.cacheable; random scores set it to false. */
  readonly cacheable: boolean;
  /** A score for a feasible node; higher is better. Raw scale is the plugin's own. */
  score(state: CycleState, pod: Workload, node: NodeInfo): number;
  /** Rescales raw scores in place over the feasible nodes (e.g. min-max to 0..100). */
  normalize?(state: CycleState, pod: Workload, scores: Float64Array, count: number): void;
}

export interface DevicePlugin extends Plugin {
  /**
   * Chooses the GPUs on the chosen node for a GPU pod (the node passed the filters, so a choice
   * exists). Returns null only if nothing fits, which the framework reports as an Error (a filter bug).
   */
  chooseDevices(state: CycleState, pod: Workload, node: NodeInfo): GpuAssignment[] | null;
}

export interface ReservePlugin extends Plugin {
  /** Called after the allocation is applied to the snapshot. A Status undoes the placement. */
  reserve(state: CycleState, pod: Workload, alloc: Allocation): MaybeStatus;
  /** Must be idempotent: it may run for a pod whose reserve never ran or already ran unreserve. */
  unreserve(state: CycleState, pod: Workload, alloc: Allocation): void;
}

export interface PermitPlugin extends Plugin {
  /** Success lets the pod bind now; Wait holds it (gang members wait for each other); else rejects. */
  permit(state: CycleState, pod: Workload, alloc: Allocation): MaybeStatus;
}

/**
 * A plugin whose scores follow the workload statistics (Handle.stats). The framework calls
 * `statsChanged` before the first cycle after a new version is published and then drops every
 * cached verdict, so between publications such a plugin still honours the cacheable contract.
 */
export interface StatsAwarePlugin extends Plugin {
  statsChanged(): void;
}

/** What a plugin factory may use. Passed in, never global. */
export interface Handle {
  readonly snapshot: Snapshot;
  readonly rng: Rng;
  /** The workload's shape distribution learnt from the pods seen so far (see stats/workload-stats.ts). */
  readonly stats?: WorkloadStats;
}

export type PluginFactory = (args: unknown, handle: Handle) => Plugin;

export function isPreFilter(p: Plugin): p is PreFilterPlugin {
  return typeof (p as PreFilterPlugin).preFilter === "function";
}
export function isFilter(p: Plugin): p is FilterPlugin {
  return typeof (p as FilterPlugin).filter === "function";
}
export function isScore(p: Plugin): p is ScorePlugin {
  return typeof (p as ScorePlugin).score === "function";
}
export function isDevice(p: Plugin): p is DevicePlugin {
  return typeof (p as DevicePlugin).chooseDevices === "function";
}
export function isReserve(p: Plugin): p is ReservePlugin {
  return typeof (p as ReservePlugin).reserve === "function";
}
export function isStatsAware(p: Plugin): p is StatsAwarePlugin {
  return typeof (p as StatsAwarePlugin).statsChanged === "function";
}
export function isPermit(p: Plugin): p is PermitPlugin {
  return typeof (p as PermitPlugin).permit === "function";
}
