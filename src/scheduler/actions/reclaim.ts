import type { CycleContext } from "./context.js";
import { queueOf } from "./ledger.js";
import type { RoomPolicy } from "./make-room.js";
import type { Waiting } from "./place-unit.js";
import { evictFor } from "./preempt.js";
import { priorityOf, type Unit } from "./units.js";

/**
 * Reclaim: a unit whose queue stays within its guarantee by running it may evict work of OTHER
 * queues that those queues hold beyond their own guarantee (borrowed capacity), even at equal
 * priority, never of higher priority, and never pushing a victim's queue below its guarantee.
 */
export const RECLAIM: RoomPolicy = {
  reason: "reclaim",
  eligible: (unit, member) => (p) =>
    queueOf(p.workload) !== unit.queue &&
    priorityOf(p.workload) <= priorityOf(member) &&
    p.workload.preemptible !== false,
  search: () => ({ guardQueues: true }),
};

export function reclaim(ctx: CycleContext, units: readonly Unit[], waiting: Map<string, Waiting>): void {
  evictFor(ctx, units, waiting, RECLAIM, (unit) => ctx.ledger.withinGuarantee(unit.queue, unit.demand));
}
