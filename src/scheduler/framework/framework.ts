import type { Allocation, GpuAssignment } from "../../core/allocation.js";
import type { Workload } from "../../core/workload.js";
import type { NodeInfo } from "../snapshot/node-info.js";
import { CycleState } from "./cycle-state.js";
import {
  type DevicePlugin,
  type FilterPlugin,
  type Handle,
  isDevice,
  isFilter,
  isPermit,
  isPreFilter,
  isReserve,
  isScore,
  type PermitPlugin,
  type Plugin,
  type PreFilterPlugin,
  type ReservePlugin,
  type ScorePlugin,
} from "./interfaces.js";
import type { Profile } from "./profile.js";
import type { Registry } from "./registry.js";
import { type CachedVerdict, ShapeCache, shapeKey } from "./score-cache.js";
import { Code, Status } from "./status.js";

export type ScheduleResult =
  | { readonly ok: true; readonly node: NodeInfo; readonly gpus: GpuAssignment[]; readonly feasible: number }
  | { readonly ok: false; readonly status: Status };

interface WeightedScore {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

/**
 * Runs scheduling cycles for one profile over one snapshot. Pure: it reads the snapshot and returns
 * a decision; the caller applies it through a Statement (see actions/).
 */
export class Framework {
  readonly profileName: string;
  private readonly preFilters: PreFilterPlugin[];
  private readonly filters: FilterPlugin[];
  private readonly scores: WeightedScore[];
  private readonly cachedScores: WeightedScore[];
  private readonly liveScores: WeightedScore[];
  private readonly tieBreaks: ScorePlugin[];
  private readonly devices: DevicePlugin;
  readonly reserves: ReservePlugin[];
  readonly permits: PermitPlugin[];
  private readonly cacheFilters: boolean;
  private readonly shapes = new Map<string, ShapeCache>();
  private readonly feasible: Int32Array;
  private readonly scoreBufs: Float64Array[];
  private readonly totals: Float64Array;

  constructor(
    profile: Profile,
    registry: Registry,
    readonly handle: Handle,
  ) {
    this.profileName = profile.name;
    const instances = new Map<string, Plugin>();
    const get = (name: string): Plugin => {
      let p = instances.get(name);
      if (!p) {
        p = registry.build(name, profile.pluginArgs[name], handle);
        instances.set(name, p);
      }
      return p;
    };
    const typed = <T extends Plugin>(name: string, point: string, guard: (p: Plugin) => p is T): T => {
      const p = get(name);
      if (!guard(p)) throw new Error(`plugin "${name}" does not implement ${point}`);
      return p;
    };
    this.preFilters = profile.preFilter.map((n) => typed(n, "preFilter", isPreFilter));
    this.filters = profile.filter.map((n) => typed(n, "filter", isFilter));
    this.scores = profile.score.map((s) => ({ plugin: typed(s.name, "score", isScore), weight: s.weight }));
    this.cachedScores = this.scores.filter((s) => s.plugin.cacheable);
    this.liveScores = this.scores.filter((s) => !s.plugin.cacheable);
    this.tieBreaks = profile.tieBreak.map((n) => typed(n, "score", isScore));
    this.devices = typed(profile.devices, "devices", isDevice);
    this.reserves = profile.reserve.map((n) => typed(n, "reserve", isReserve));
    this.permits = profile.permit.map((n) => typed(n, "permit", isPermit));
    this.cacheFilters = this.filters.every((f) => f.cacheable !== false);
    const n = handle.snapshot.nodes.length;
    this.feasible = new Int32Array(n);
    this.scoreBufs = this.scores.map(() => new Float64Array(n));
    this.totals = new Float64Array(n);
  }

  /** Finds the best node and GPUs for `pod`. Does not change the snapshot. */
  schedule(pod: Workload, state: CycleState = new CycleState()): ScheduleResult {
    for (const p of this.preFilters) {
      const st = p.preFilter(state, pod);
      if (st !== null && st.code !== Code.Skip) {
        st.plugin ??= p.name;
        return { ok: false, status: st };
      }
    }
    const count = this.cacheFilters ? this.filterAndScoreCached(state, pod) : this.filterAndScoreLive(state, pod);
    if (count === 0) return { ok: false, status: this.explainNoFit(pod) };

    const nodes = this.handle.snapshot.nodes;
    for (let s = 0; s < this.scores.length; s++) {
      const sc = this.scores[s]!;
      sc.plugin.normalize?.(state, pod, this.scoreBufs[s]!, count);
    }
    const totals = this.totals;
    let best = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < count; j++) {
      let t = 0;
      for (let s = 0; s < this.scores.length; s++) t += this.scores[s]!.weight * this.scoreBufs[s]![j]!;
      totals[j] = t;
      if (t > best) best = t;
    }
    let chosen = -1;
    if (this.tieBreaks.length === 0) {
      for (let j = 0; j < count; j++) {
        if (totals[j] === best) {
          chosen = this.feasible[j]!;
          break;
        }
      }
    } else {
      chosen = this.breakTies(state, pod, best, count);
    }
    const node = nodes[chosen]!;
    const gpus = pod.gpu.kind === "none" ? [] : this.devices.chooseDevices(state, pod, node);
    if (gpus === null) {
      return { ok: false, status: new Status(Code.Error, [`no GPU choice on ${node.name} although it passed the filters`], this.devices.name) };
    }
    return { ok: true, node, gpus, feasible: count };
  }

  /** Builds the allocation record for a scheduling decision. */
  static allocation(pod: Workload, node: NodeInfo, gpus: GpuAssignment[]): Allocation {
    return { workloadId: pod.id, node: node.name, cpuMilli: pod.cpuMilli, memoryMiB: pod.memoryMiB, gpus };
  }

  private shapeCache(pod: Workload): ShapeCache {
    const key = shapeKey(pod);
    let c = this.shapes.get(key);
    if (!c) {
      c = new ShapeCache(this.handle.snapshot.nodes.length, this.cachedScores.length);
      this.shapes.set(key, c);
    }
    return c;
  }

  private verdict(state: CycleState, pod: Workload, node: NodeInfo): CachedVerdict {
    for (const f of this.filters) {
      const st = f.filter(state, pod, node);
      if (st !== null) {
        st.plugin ??= f.name;
        return { status: st, scores: [] };
      }
    }
    return { status: null, scores: this.cachedScores.map((s) => s.plugin.score(state, pod, node)) };
  }

  /** Hot path: fills `feasible` and the score buffers; returns the feasible count. */
  private filterAndScoreCached(state: CycleState, pod: Workload): number {
    const cache = this.shapeCache(pod);
    const nodes = this.handle.snapshot.nodes;
    const k = this.cachedScores.length;
    const { rowState, rowFeasible, rowScores, rowStatus } = cache;
    let count = 0;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      const sid = node.stateId;
      if (rowState[i] !== sid) {
        let v = cache.byState.get(sid);
        if (v === undefined) {
          v = this.verdict(state, pod, node);
          cache.remember(sid, v);
        }
        rowState[i] = sid;
        rowFeasible[i] = v.status === null ? 1 : 0;
        rowStatus[i] = v.status;
        for (let s = 0; s < k; s++) rowScores[i * k + s] = v.scores[s]!;
      }
      if (rowFeasible[i] === 1) {
        this.feasible[count] = i;
        let cs = 0;
        for (let s = 0; s < this.scores.length; s++) {
          const sc = this.scores[s]!;
          this.scoreBufs[s]![count] = sc.plugin.cacheable ? rowScores[i * k + cs++]! : sc.plugin.score(state, pod, node);
        }
        count++;
      }
    }
    return count;
  }

  private filterAndScoreLive(state: CycleState, pod: Workload): number {
    const nodes = this.handle.snapshot.nodes;
    let count = 0;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      let ok = true;
      for (const f of this.filters) {
        if (f.filter(state, pod, node) !== null) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      this.feasible[count] = i;
      for (let s = 0; s < this.scores.length; s++) this.scoreBufs[s]![count] = this.scores[s]!.plugin.score(state, pod, node);
      count++;
    }
    return count;
  }

  private breakTies(state: CycleState, pod: Workload, best: number, count: number): number {
    const nodes = this.handle.snapshot.nodes;
    let chosen = -1;
    let chosenKeys: number[] = [];
    for (let j = 0; j < count; j++) {
      if (this.totals[j] !== best) continue;
      const i = this.feasible[j]!;
      const keys = this.tieBreaks.map((t) => t.score(state, pod, nodes[i]!));
      if (chosen < 0 || lexGreater(keys, chosenKeys)) {
        chosen = i;
        chosenKeys = keys;
      }
    }
    return chosen;
  }

  /** "0/N nodes are available: 12 × Insufficient CPU; 3 × GPU model not allowed". */
  private explainNoFit(pod: Workload): Status {
    const nodes = this.handle.snapshot.nodes;
    const tally = new Map<string, number>();
    let unresolvable = 0;
    const state = new CycleState();
    for (const p of this.preFilters) p.preFilter(state, pod);
    for (const node of nodes) {
      const v = this.verdict(state, pod, node);
      const st = v.status ?? new Status(Code.Unschedulable, ["no room left"]);
      if (st.code === Code.UnschedulableAndUnresolvable) unresolvable++;
      const reason = st.reasons.join("; ") || "unschedulable";
      tally.set(reason, (tally.get(reason) ?? 0) + 1);
    }
    const parts = [...tally.entries()].sort((a, b) => b[1] - a[1]).map(([r, c]) => `${c} × ${r}`);
    const code = nodes.length > 0 && unresolvable === nodes.length ? Code.UnschedulableAndUnresolvable : Code.Unschedulable;
    return new Status(code, [`0/${nodes.length} nodes are available: ${parts.join("; ") || "no nodes"}`]);
  }
}

function lexGreater(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return true;
    if (a[i]! < b[i]!) return false;
  }
  return false;
}
