import { addResources, type Resources } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import type { NodeInfo, Placed } from "../snapshot/node-info.js";
import type { CycleContext } from "./context.js";
import { allocationResources, queueOf } from "./ledger.js";
import { priorityOf, seqOf } from "./units.js";

/** Workloads that leave together: one workload, or every placed member of its gang. */
export interface VictimGroup {
  readonly members: readonly Placed[];
  /** Highest member priority. */
  readonly priority: number;
  /** Newest member submission. */
  readonly seq: number;
}

/** Whether a placed workload may be evicted for the pod at hand (priority, preemptible, queue rules). */
export type Eligible = (p: Placed) => boolean;

/**
 * The candidate groups on `node`: every member eligible, lowest priority first, then newest first
 * (then id, for determinism). A gang member on this node brings its whole gang, wherever it runs.
 */
export function candidateGroups(ctx: CycleContext, node: NodeInfo, eligible: Eligible): VictimGroup[] {
  const seen = new Set<string>();
  const groups: VictimGroup[] = [];
  const onNode = [...node.placed.values()].sort((a, b) =>
    a.allocation.workloadId < b.allocation.workloadId ? -1 : 1,
  );
  for (const p of onNode) {
    if (seen.has(p.allocation.workloadId)) continue;
    const members = ctx.evictionGroup(p);
    for (const m of members) seen.add(m.allocation.workloadId);
    if (!members.every(eligible)) continue;
    groups.push({
      members,
      priority: Math.max(...members.map((m) => priorityOf(m.workload))),
      seq: Math.max(...members.map((m) => seqOf(m.workload))),
    });
  }
  return groups.sort(
    (a, b) =>
      a.priority - b.priority ||
      b.seq - a.seq ||
      (a.members[0]!.allocation.workloadId < b.members[0]!.allocation.workloadId ? -1 : 1),
  );
}

/**
 * Whether the group can leave without pushing any queue below its guarantee, given what is already
 * gone. `guardQueues` false skips the check (measuring, not evicting).
 */
function mayLeave(
  ctx: CycleContext,
  g: VictimGroup,
  guardQueues: boolean,
  exempt: string | undefined,
): boolean {
  if (!guardQueues) return true;
  const byQueue = new Map<string, Resources>();
  for (const m of g.members) {
    const q = queueOf(m.workload);
    if (q === exempt) continue;
    const r = allocationResources(ctx.snapshot, m.allocation);
    const prev = byQueue.get(q);
    byQueue.set(q, prev ? addResources(prev, r) : r);
  }
  for (const [q, r] of byQueue) if (!ctx.ledger.canGiveBack(q, r)) return false;
  return true;
}

/** A gang spanning nodes may already have gone with an earlier group. */
function stillPlaced(ctx: CycleContext, g: VictimGroup): boolean {
  return g.members.every((m) => ctx.snapshot.placement(m.allocation.workloadId));
}

function evictGroup(ctx: CycleContext, g: VictimGroup): void {
  for (const m of g.members) ctx.evict(m.allocation.workloadId);
}

export interface VictimSearch {
  /** Check queue guarantees of the victims' queues (except `exemptQueue`, the pod's own queue). */
  readonly guardQueues: boolean;
  readonly exemptQueue?: string;
}

/**
 * A minimal set of groups on `node` whose eviction lets `pod` be placed, or null (after
 * kube-scheduler's selectVictimsOnNode). Evict every candidate the queue rules allow, lowest
 * priority and newest first; if the pod fits then, give each back ("reprieve"), highest priority and
 * oldest first, keeping it evicted only when the pod no longer fits without that. The result is
 * minimal (no group in it can be spared) and spares higher priorities first. Leaves the snapshot as
 * it found it.
 */
export function minimalVictims(
  ctx: CycleContext,
  pod: Workload,
  node: NodeInfo,
  eligible: Eligible,
  search: VictimSearch,
): VictimGroup[] | null {
  const groups = candidateGroups(ctx, node, eligible);
  if (groups.length === 0) return null;
  const cp = ctx.checkpoint();
  const gone: VictimGroup[] = [];
  for (const g of groups) {
    if (!stillPlaced(ctx, g) || !mayLeave(ctx, g, search.guardQueues, search.exemptQueue)) continue;
    evictGroup(ctx, g);
    gone.push(g);
  }
  if (gone.length === 0 || !ctx.fits(pod)) {
    ctx.rollback(cp);
    return null;
  }
  const chosen: VictimGroup[] = [];
  for (const g of gone.reverse()) {
    for (const m of g.members) ctx.readd(m);
    if (ctx.fits(pod)) continue;
    evictGroup(ctx, g);
    chosen.push(g);
  }
  ctx.rollback(cp);
  return chosen.reverse();
}

/** Orders victim sets: lowest highest-priority first, then fewest workloads, then lowest summed priority. */
export function compareVictimSets(a: readonly VictimGroup[], b: readonly VictimGroup[]): number {
  const top = (s: readonly VictimGroup[]) => Math.max(Number.NEGATIVE_INFINITY, ...s.map((g) => g.priority));
  const count = victimCount;
  const sum = (s: readonly VictimGroup[]) =>
    s.reduce((n, g) => n + g.members.reduce((k, m) => k + priorityOf(m.workload), 0), 0);
  return top(a) - top(b) || count(a) - count(b) || sum(a) - sum(b);
}

/** Workloads in a victim set. */
export function victimCount(s: readonly VictimGroup[]): number {
  return s.reduce((n, g) => n + g.members.length, 0);
}
