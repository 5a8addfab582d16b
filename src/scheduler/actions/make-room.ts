import { firstExceeded } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import type { CycleContext, Eviction } from "./context.js";
import { behindHead, wouldDelayHead } from "./place-unit.js";
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
    if (placeRespectingHead(ctx, member, solo, null)) continue;
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
  const options: { node: string; set: VictimGroup[] }[] = [];
  // No set beats one victim at the lowest priority placed anywhere (and earlier nodes win ties).
  let floor = Number.POSITIVE_INFINITY;
  for (const p of ctx.snapshot.placedWorkloads()) floor = Math.min(floor, priorityOf(p.workload));
  // Behind a waiting head, "fits" must not count the earmarked nodes: search the other nodes with
  // them held, and the earmarked nodes themselves last (their sets must still pass wouldDelayHead).
  const held = behindHead(ctx, solo) ? ctx.earmark!.nodes : [];
  const holds = ctx.holdAll(held);
  let best = false;
  for (const node of ctx.snapshot.nodes) {
    if (held.includes(node.name)) continue;
    const set = minimalVictims(ctx, member, node, eligible, search);
    if (set === null || set.length === 0) continue;
    options.push({ node: node.name, set });
    best = victimCount(set) === 1 && set[0]!.priority <= floor;
    if (best) break;
  }
  ctx.unholdAll(holds);
  for (const name of best ? [] : held) {
    const set = minimalVictims(ctx, member, ctx.snapshot.node(name)!, eligible, search);
    if (set !== null && set.length > 0) options.push({ node: name, set });
  }
  // Stable sort: equal sets keep node order.
  options.sort((a, b) => compareVictimSets(a.set, b.set));
  for (const { node, set } of options) {
    const cp = ctx.checkpoint();
    for (const g of set) {
      for (const m of g.members) {
        const id = m.allocation.workloadId;
        if (ctx.snapshot.placement(id)) ctx.evict(id, { reason: policy.reason, by: member.id });
      }
    }
    if (placeRespectingHead(ctx, member, solo, node)) return true;
    ctx.rollback(cp);
  }
  return false;
}

/**
 * Places `member` where the framework prefers; if that would delay the earmarked head, tries again
 * with the earmarked nodes held (all but `freed`, the node victims were just evicted from).
 * Changes nothing when it returns false.
 */
function placeRespectingHead(ctx: CycleContext, member: Workload, solo: Unit, freed: string | null): boolean {
  const cp = ctx.checkpoint();
  const placed = ctx.place(member).ok;
  if (placed && !wouldDelayHead(ctx, solo)) return true;
  ctx.rollback(cp);
  const mark = ctx.earmark;
  if (!placed || mark === null) return false;
  const holds = ctx.holdAll(mark.nodes.filter((n) => n !== freed));
  const again = ctx.place(member).ok;
  ctx.unholdAll(holds);
  if (again && !wouldDelayHead(ctx, solo)) return true;
  ctx.rollback(cp);
  return false;
}
