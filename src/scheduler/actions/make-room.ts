import { firstExceeded } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import type { CycleContext, Eviction } from "./context.js";
import { wouldDelayHead } from "./place-unit.js";
import { priorityOf, type Unit } from "./units.js";
import {
  compareVictimSets,
  type Eligible,
  minimalVictims,
  type VictimGroup,
  type VictimSearch,
  victimCount,
} from "./victims.js";

/** How an action chooses victims for one member of a unit. */
export interface RoomPolicy {
  readonly reason: Eviction["reason"];
  /** Whether `p` may be evicted for `member` of `unit`. */
  readonly eligible: (unit: Unit, member: Workload) => Eligible;
  readonly search: (unit: Unit) => VictimSearch;
}

/**
 * Places every member of `unit`, evicting victims where a member does not fit, or changes nothing.
 * Per member: try to place it as things are; else, per node in order, find a minimal victim set
 * (victims.ts) and take the best set (lowest highest-priority, fewest, lowest summed priority, node
 * order) whose eviction lets the member be placed without delaying the earmarked head.
 * Returns whether the unit was placed.
 */
export function makeRoom(ctx: CycleContext, unit: Unit, policy: RoomPolicy): boolean {
  const cp = ctx.checkpoint();
  for (const member of unit.members) {
    const solo: Unit = { ...unit, members: [member] };
    const before = ctx.checkpoint();
    if (ctx.place(member).ok && !wouldDelayHead(ctx, solo)) continue;
    ctx.rollback(before);
    if (!placeWithVictims(ctx, unit, member, policy, solo)) {
      ctx.rollback(cp);
      return false;
    }
  }
  const limit = ctx.ledger.spec(unit.queue).limit;
  if (limit && firstExceeded(ctx.ledger.used(unit.queue), limit) !== null) {
    ctx.rollback(cp);
    return false;
  }
  return true;
}

function placeWithVictims(
  ctx: CycleContext,
  unit: Unit,
  member: Workload,
  policy: RoomPolicy,
  solo: Unit,
): boolean {
  const eligible = policy.eligible(unit, member);
  const search = policy.search(unit);
  const options: VictimGroup[][] = [];
  // No set beats one victim at the lowest priority placed anywhere (and earlier nodes win ties).
  let floor = Number.POSITIVE_INFINITY;
  for (const p of ctx.snapshot.placedWorkloads()) floor = Math.min(floor, priorityOf(p.workload));
  for (const node of ctx.snapshot.nodes) {
    const set = minimalVictims(ctx, member, node, eligible, search);
    if (set === null || set.length === 0) continue;
    options.push(set);
    if (victimCount(set) === 1 && set[0]!.priority <= floor) break;
  }
  // Stable sort: equal sets keep node order.
  options.sort(compareVictimSets);
  for (const set of options) {
    const cp = ctx.checkpoint();
    for (const g of set) {
      for (const m of g.members) {
        const id = m.allocation.workloadId;
        if (ctx.snapshot.placement(id)) ctx.evict(id, { reason: policy.reason, by: member.id });
      }
    }
    if (ctx.place(member).ok && !wouldDelayHead(ctx, solo)) return true;
    ctx.rollback(cp);
  }
  return false;
}
