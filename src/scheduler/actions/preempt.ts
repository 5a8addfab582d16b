import { shapeKey } from "../framework/score-cache.js";
import type { CycleContext } from "./context.js";
import { makeRoom, type RoomPolicy } from "./make-room.js";
import { admissible, type Waiting } from "./place-unit.js";
import { priorityOf } from "./units.js";
import type { Unit } from "./units.js";

/**
 * Preempt: a unit waiting for capacity may evict workloads of STRICTLY lower priority (than the
 * member room is made for; gang members share one priority in practice) that are
 * preemptible, a gang always whole. Work of another queue is taken only from what that queue holds
 * beyond its guarantee (guarantees hold against every priority); the unit's own queue is exempt.
 */
export const PREEMPT: RoomPolicy = {
  reason: "preempt",
  eligible: (unit, member) => (p) =>
    priorityOf(p.workload) < priorityOf(member) &&
    p.workload.preemptible !== false &&
    (unit.gangSize === undefined || p.workload.gang?.id !== unit.key),
  search: (unit) => ({ guardQueues: true, exemptQueue: unit.queue }),
};

/** Runs `policy` for every unit still waiting for capacity that eviction may help, in allocate's order. */
export function evictFor(
  ctx: CycleContext,
  units: readonly Unit[],
  waiting: Map<string, Waiting>,
  policy: RoomPolicy,
  wants: (unit: Unit) => boolean = () => true,
): void {
  // Allocate's order (queue fairness included), then units it never tried.
  const rank = (u: Unit) => ctx.rank.get(u.key) ?? Number.POSITIVE_INFINITY;
  const ordered = [...units].sort((a, b) => (rank(a) === rank(b) ? 0 : rank(a) < rank(b) ? -1 : 1));
  // A failed attempt leaves the snapshot as it was, so until some unit succeeds, a unit that asks for
  // exactly what a failed one asked for fails too: remember failures per state version.
  let version = 0;
  const failed = new Map<string, number>();
  const headRank = ctx.earmark ? rank(ctx.earmark.head) : Number.POSITIVE_INFINITY;
  for (const unit of ordered) {
    const w = waiting.get(unit.key);
    if (w === undefined) {
      // Not tried by allocate (a configured order without it): place it only if admissible.
      if (unit.members.some((m) => ctx.snapshot.placement(m.id))) continue;
    } else if (w.kind !== "capacity" || !w.resolvable) {
      continue;
    }
    if (admissible(ctx, unit) !== null || !wants(unit)) continue;
    const key = [
      unit.priority,
      unit.queue,
      unit.gangSize === undefined ? "" : unit.key,
      rank(unit) <= headRank ? "ahead" : "behind",
      ...unit.members.map((m) => `${shapeKey(m)}@${priorityOf(m)}`),
    ].join("\u0000");
    if (failed.get(key) === version) continue;
    if (makeRoom(ctx, unit, policy)) {
      waiting.delete(unit.key);
      version++;
    } else {
      failed.set(key, version);
    }
  }
}

export function preempt(ctx: CycleContext, units: readonly Unit[], waiting: Map<string, Waiting>): void {
  evictFor(ctx, units, waiting, PREEMPT);
}
