import { budgetSpent } from "../../core/queue.js";
import { subResources } from "../../core/queue.js";
import { Code, type Status } from "../framework/status.js";
import { delaysHead, headPlaced, heldNote, touchesEarmark } from "./backfill.js";
import type { CycleContext } from "./context.js";
import type { Unit } from "./units.js";

/**
 * Why a unit is still pending. `quota` and `gang-incomplete` cannot be helped by evicting anyone;
 * `capacity` can, when `resolvable` (some member was merely Unschedulable, not Unresolvable).
 */
export type Waiting =
  | { readonly kind: "quota"; readonly reason: string }
  | { readonly kind: "gang-incomplete"; readonly reason: string }
  | { readonly kind: "capacity"; readonly reason: string; readonly resolvable: boolean };

/** What must hold before placing is worth trying: the queue's limit, and a complete gang. */
export function admissible(ctx: CycleContext, unit: Unit): Waiting | null {
  if (unit.demand.gpuMilli > 0 || unit.demand.gpuMemoryMiB > 0) {
    const spent = budgetSpent(ctx.ledger.spec(unit.queue));
    if (spent) return { kind: "quota", reason: spent };
  }
  const over = ctx.ledger.overLimit(unit.queue, unit.demand);
  if (over) return { kind: "quota", reason: over };
  if (unit.gangSize !== undefined) {
    const have = ctx.placedGangMembers(unit.key) + unit.members.length;
    if (have < unit.gangSize) {
      return {
        kind: "gang-incomplete",
        reason: `waiting for gang ${unit.key} (${have}/${unit.gangSize} submitted)`,
      };
    }
  }
  return null;
}

/**
 * Places every member of the unit in this Statement, or none (rolls back to where it started).
 * After placing, checks the queue limit again against what the allocations really hold (a whole GPU's
 * memory is known only once the GPU is chosen).
 */
export function placeUnit(ctx: CycleContext, unit: Unit): Waiting | null {
  const cp = ctx.checkpoint();
  let placeable = 0;
  let first: Status | null = null;
  let unschedulable = false;
  let unresolvable = false;
  for (const m of unit.members) {
    const d = ctx.place(m);
    if (d.ok) {
      placeable++;
      continue;
    }
    first ??= d.status;
    if (d.status.code === Code.Unschedulable) unschedulable = true;
    else unresolvable = true;
  }
  const resolvable = unschedulable && !unresolvable;
  if (first === null) {
    const took = subResources(ctx.ledger.used(unit.queue), cp.ledger.used(unit.queue));
    const over = cp.ledger.overLimit(unit.queue, took);
    if (over === null) return null;
    ctx.rollback(cp);
    return { kind: "quota", reason: over };
  }
  ctx.rollback(cp);
  if (unit.gangSize === undefined) return { kind: "capacity", reason: first.message(), resolvable };
  const running = ctx.placedGangMembers(unit.key);
  return {
    kind: "capacity",
    reason: `waiting for gang ${unit.key} (${running + placeable}/${unit.gangSize} placeable): ${first.message()}`,
    resolvable,
  };
}

/**
 * Whether placing this unit now would delay the earmarked head. The head itself and units allocate
 * tried before it (they come first in the order) are never held back.
 */
export function wouldDelayHead(ctx: CycleContext, unit: Unit): boolean {
  return (
    behindHead(ctx, unit) &&
    touchesEarmark(
      ctx,
      unit.members.map((m) => m.id),
    ) &&
    delaysHead(ctx)
  );
}

/** Whether the unit is held back by the earmark at all: one is set, its head waits, and the unit comes after it. */
export function behindHead(ctx: CycleContext, unit: Unit): boolean {
  const mark = ctx.earmark;
  if (mark === null || headPlaced(ctx, mark)) return false;
  const headRank = ctx.rank.get(mark.head.key);
  const rank = ctx.rank.get(unit.key);
  return headRank === undefined || rank === undefined || rank > headRank;
}

/**
 * placeUnit, honouring the earmark: a placement that would delay the head is undone and tried again
 * with the earmarked nodes held, so the unit can still go elsewhere.
 */
export function placeUnitBackfilling(ctx: CycleContext, unit: Unit): Waiting | null {
  const cp = ctx.checkpoint();
  const first = placeUnit(ctx, unit);
  if (first !== null || !wouldDelayHead(ctx, unit)) return first;
  ctx.rollback(cp);
  const mark = ctx.earmark!;
  const holds = ctx.holdAll(mark.nodes);
  const again = placeUnit(ctx, unit);
  ctx.unholdAll(holds);
  const note = heldNote(mark);
  if (again !== null)
    return again.kind === "capacity" ? { ...again, reason: `${again.reason} (${note})` } : again;
  if (wouldDelayHead(ctx, unit)) {
    ctx.rollback(cp);
    return { kind: "capacity", reason: `would delay ${mark.head.key} (${note})`, resolvable: false };
  }
  return null;
}
