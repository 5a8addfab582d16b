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
  isStatsAware,
  type PermitPlugin,
  type Plugin,
  type PreFilterPlugin,
  type ReservePlugin,
  type ScorePlugin,
  type StatsAwarePlugin,
} from "./interfaces.js";
import type { Profile } from "./profile.js";
import type { Registry } from "./registry.js";
import { type CachedVerdict, ShapeCache, shapeKey } from "./score-cache.js";
import { ArgmaxTree } from "./argmax-tree.js";
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
  private readonly tieBreaks: ScorePlugin[];
  private readonly devices: DevicePlugin;
  readonly reserves: ReservePlugin[];
  readonly permits: PermitPlugin[];
  private readonly cacheFilters: boolean;
  /** See syncIncremental. */
  private readonly incremental: boolean;
  private readonly shapes = new Map<string, ShapeCache>();
  private readonly feasible: Int32Array;
  private readonly scoreBufs: Float64Array[];
  private readonly totals: Float64Array;
  private readonly statsAware: StatsAwarePlugin[];
  /** The statistics version the plugins and caches reflect. */
  private statsVersion: number;

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
    this.tieBreaks = profile.tieBreak.map((n) => typed(n, "score", isScore));
    this.devices = typed(profile.devices, "devices", isDevice);
    this.reserves = profile.reserve.map((n) => typed(n, "reserve", isReserve));
    this.permits = profile.permit.map((n) => typed(n, "permit", isPermit));
    this.cacheFilters = this.filters.every((f) => f.cacheable !== false);
    const only = this.scores[0]?.plugin;
    this.incremental =
      this.cacheFilters &&
      this.scores.length === 1 &&
      only!.cacheable &&
      !only!.normalize &&
      this.tieBreaks.length === 0;
    const n = handle.snapshot.nodes.length;
    this.feasible = new Int32Array(n);
    this.scoreBufs = this.scores.map(() => new Float64Array(n));
    this.totals = new Float64Array(n);
    this.statsAware = [...instances.values()].filter(isStatsAware);
    this.statsVersion = handle.stats?.version ?? 0;
  }

  /** A new statistics version: plugins that follow it update, and every cached verdict goes. */
  private syncStats(): void {
    const v = this.handle.stats?.version ?? 0;
    if (v === this.statsVersion) return;
    this.statsVersion = v;
    if (this.statsAware.length === 0) return;
    for (const p of this.statsAware) p.statsChanged();
    for (const c of this.shapes.values()) c.reset();
  }

  /** Finds the best node and GPUs for `pod`. Does not change the snapshot. */
  schedule(pod: Workload, state: CycleState = new CycleState()): ScheduleResult {
    this.syncStats();
    for (const p of this.preFilters) {
      const st = p.preFilter(state, pod);
      if (st !== null && st.code !== Code.Skip) {
        st.plugin ??= p.name;
        return { ok: false, status: st };
      }
    }
    if (this.incremental) {
      const cache = this.syncIncremental(state, pod);
      const chosen = cache.tree!.best();
      if (chosen < 0) return { ok: false, status: this.explainNoFit(pod) };
      return this.withDevices(state, pod, this.handle.snapshot.nodes[chosen]!, cache.feasibleCount);
    }
    const count = this.cacheFilters
      ? this.filterAndScoreCached(state, pod)
      : this.filterAndScoreLive(state, pod);
    if (count === 0) return { ok: false, status: this.explainNoFit(pod) };

    const nodes = this.handle.snapshot.nodes;
    for (let s = 0; s < this.scores.length; s++) {
      const sc = this.scores[s]!;
      sc.plugin.normalize?.(state, pod, this.scoreBufs[s]!, count);
    }
    let chosen = -1;
    if (this.scores.length === 1 && this.tieBreaks.length === 0) {
      // One score, no tie-breaks: the first highest wins (weights do not change the order).
      const buf = this.scoreBufs[0]!;
      let best = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < count; j++) {
        if (buf[j]! > best) {
          best = buf[j]!;
          chosen = this.feasible[j]!;
        }
      }
    } else {
      const totals = this.totals;
      let best = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < count; j++) {
        let t = 0;
        for (let s = 0; s < this.scores.length; s++) t += this.scores[s]!.weight * this.scoreBufs[s]![j]!;
        totals[j] = t;
        if (t > best) best = t;
      }
      chosen = this.breakTies(state, pod, best, count);
    }
    return this.withDevices(state, pod, nodes[chosen]!, count);
  }

  private withDevices(state: CycleState, pod: Workload, node: NodeInfo, feasible: number): ScheduleResult {
    const gpus = pod.gpu.kind === "none" ? [] : this.devices.chooseDevices(state, pod, node);
    if (gpus === null) {
      return {
        ok: false,
        status: new Status(
          Code.Error,
          [`no GPU choice on ${node.name} although it passed the filters`],
          this.devices.name,
        ),
      };
    }
    return { ok: true, node, gpus, feasible };
  }

  /** Brings node `i`'s cached row for this shape up to date; returns its value for the argmax tree. */
  private refreshRow(cache: ShapeCache, state: CycleState, pod: Workload, i: number): number {
    const sid = this.handle.snapshot.index.stateIds[i]!;
    if (cache.rowState[i] !== sid) {
      // No verdict objects here: this runs (changed nodes × shapes) times, the bulk of the work.
      // Only states several nodes share are worth remembering; most states after a placement are unique.
      const shared = this.handle.snapshot.index.interner.holders(sid) > 1;
      let value = shared ? cache.scoreByState.get(sid) : undefined;
      let status: Status | null = null;
      if (value === undefined) {
        status = shared ? (cache.statusByState.get(sid) ?? null) : null;
        if (status === null) {
          const node = this.handle.snapshot.nodes[i]!;
          status = this.filterStatus(state, pod, node);
          value =
            status === null ? this.cachedScores[0]!.plugin.score(state, pod, node) : Number.NEGATIVE_INFINITY;
          if (shared) cache.rememberIncremental(sid, status, value);
        } else {
          value = Number.NEGATIVE_INFINITY;
        }
      }
      const was = cache.rowState[i] !== -1 && cache.rowFeasible[i] === 1;
      const now = status === null;
      cache.feasibleCount += (now ? 1 : 0) - (was ? 1 : 0);
      cache.setStatus(i, status);
      cache.rowState[i] = sid;
      cache.rowFeasible[i] = now ? 1 : 0;
      return value;
    }
    return cache.tree!.value(i);
  }

  /**
   * Incremental selection: only nodes that changed since this shape was last scheduled are
   * re-evaluated; an argmax tree keeps the best (highest score, first in node order).
   */
  private syncIncremental(state: CycleState, pod: Workload): ShapeCache {
    const cache = this.shapeCache(pod);
    const changes = this.handle.snapshot.index.changes;
    const tree = cache.tree;
    const n = this.handle.snapshot.nodes.length;
    // Past n/8 changes, one linear pass (a typed-array compare per node) beats log-n tree updates.
    const caughtUp =
      tree !== null &&
      cache.syncedSeq >= 0 &&
      changes.since(
        cache.syncedSeq,
        (i) => tree.set(i, this.refreshRow(cache, state, pod, i)),
        Math.max(4, n >> 3),
      );
    if (!caughtUp) {
      cache.tree ??= new ArgmaxTree(n);
      cache.tree.setAll((i) => this.refreshRow(cache, state, pod, i));
    }
    cache.syncedSeq = changes.seq;
    return cache;
  }

  /** Builds the allocation record for a scheduling decision. */
  static allocation(pod: Workload, node: NodeInfo, gpus: GpuAssignment[]): Allocation {
    return { workloadId: pod.id, node: node.name, cpuMilli: pod.cpuMilli, memoryMiB: pod.memoryMiB, gpus };
  }

  private shapeCache(pod: Workload): ShapeCache {
    const key = shapeKey(pod);
    let c = this.shapes.get(key);
    if (!c) {
      c = new ShapeCache(this.handle.snapshot.nodes.length, this.incremental ? 0 : this.cachedScores.length);
      this.shapes.set(key, c);
    }
    return c;
  }

  /** The first filter's failure, or null when every filter passes. */
  private filterStatus(state: CycleState, pod: Workload, node: NodeInfo): Status | null {
    for (let k = 0; k < this.filters.length; k++) {
      const f = this.filters[k]!;
      const st = f.filter(state, pod, node);
      if (st !== null) {
        st.plugin ??= f.name;
        return st;
      }
    }
    return null;
  }

  private verdict(state: CycleState, pod: Workload, node: NodeInfo): CachedVerdict {
    const status = this.filterStatus(state, pod, node);
    if (status !== null) return { status, scores: [] };
    const scores: number[] = [];
    for (let s = 0; s < this.cachedScores.length; s++)
      scores.push(this.cachedScores[s]!.plugin.score(state, pod, node));
    return { status: null, scores };
  }

  /** Hot path: fills `feasible` and the score buffers; returns the feasible count. */
  private filterAndScoreCached(state: CycleState, pod: Workload): number {
    const cache = this.shapeCache(pod);
    const nodes = this.handle.snapshot.nodes;
    const stateIds = this.handle.snapshot.index.stateIds;
    const k = this.cachedScores.length;
    const { rowState, rowFeasible, rowScores } = cache;
    const feasible = this.feasible;
    const scores = this.scores;
    const bufs = this.scoreBufs;
    const single = scores.length === 1 && k === 1 ? bufs[0]! : null;
    let count = 0;
    for (let i = 0; i < stateIds.length; i++) {
      const sid = stateIds[i]!;
      if (rowState[i] !== sid) {
        const node = nodes[i]!;
        // As in refreshRow: only states several nodes share are worth remembering.
        const shared = this.handle.snapshot.index.interner.holders(sid) > 1;
        let v = shared ? cache.byState.get(sid) : undefined;
        if (v === undefined) {
          v = this.verdict(state, pod, node);
          if (shared) cache.remember(sid, v);
        }
        cache.setStatus(i, v.status);
        rowState[i] = sid;
        rowFeasible[i] = v.status === null ? 1 : 0;
        for (let s = 0; s < k; s++) rowScores[i * k + s] = v.scores[s]!;
      }
      if (rowFeasible[i] === 0) continue;
      feasible[count] = i;
      if (single !== null) {
        single[count] = rowScores[i]!;
      } else {
        let cs = 0;
        for (let s = 0; s < scores.length; s++) {
          const plugin = scores[s]!.plugin;
          bufs[s]![count] = plugin.cacheable ? rowScores[i * k + cs++]! : plugin.score(state, pod, nodes[i]!);
        }
      }
      count++;
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
      for (let s = 0; s < this.scores.length; s++)
        this.scoreBufs[s]![count] = this.scores[s]!.plugin.score(state, pod, node);
      count++;
    }
    return count;
  }

  /** Among nodes whose total is `best`: the highest tie-break keys, then the first in node order. */
  private breakTies(state: CycleState, pod: Workload, best: number, count: number): number {
    const nodes = this.handle.snapshot.nodes;
    let chosen = -1;
    let chosenKeys: number[] = [];
    for (let j = 0; j < count; j++) {
      if (this.totals[j] !== best) continue;
      const i = this.feasible[j]!;
      if (this.tieBreaks.length === 0) return i;
      const keys = this.tieBreaks.map((t) => t.score(state, pod, nodes[i]!));
      if (chosen < 0 || lexGreater(keys, chosenKeys)) {
        chosen = i;
        chosenKeys = keys;
      }
    }
    return chosen;
  }

  /**
   * Why no node fits: "0/N nodes are available: 12 × Insufficient CPU; 3 × GPU model not allowed".
   * The code is computed now (it decides whether preemption may help); the text only when read.
   */
  private explainNoFit(pod: Workload): Status {
    const nodes = this.handle.snapshot.nodes;
    let counts: Map<Status | null, number>;
    if (this.cacheFilters) {
      // The cached rows are current (this cycle just refreshed them): copy their tally, not the rows.
      counts = new Map(this.shapeCache(pod).statusCounts);
    } else {
      const state = new CycleState();
      for (const p of this.preFilters) p.preFilter(state, pod);
      counts = new Map();
      for (const node of nodes) {
        const st = this.verdict(state, pod, node).status;
        counts.set(st, (counts.get(st) ?? 0) + 1);
      }
    }
    let unresolvable = 0;
    for (const [st, c] of counts)
      if (st !== null && st.code === Code.UnschedulableAndUnresolvable) unresolvable += c;
    const code =
      nodes.length > 0 && unresolvable === nodes.length
        ? Code.UnschedulableAndUnresolvable
        : Code.Unschedulable;
    return new Status(code, () => {
      const tally = new Map<string, number>();
      for (const [st, c] of counts) {
        const reason = st === null ? "no room left" : st.reasons.join("; ") || "unschedulable";
        tally.set(reason, (tally.get(reason) ?? 0) + c);
      }
      const parts = [...tally.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([r, c]) => `${c} × ${r}`);
      return [`0/${nodes.length} nodes are available: ${parts.join("; ") || "no nodes"}`];
    });
  }
}

function lexGreater(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return true;
    if (a[i]! < b[i]!) return false;
  }
  return false;
}
