import type { Placed } from "../snapshot/node-info.js";
import type { CycleContext, Earmark } from "./context.js";
import type { Unit } from "./units.js";
import { compareVictimSets, minimalVictims, type VictimGroup, victimCount } from "./victims.js";

/**
 * Backfill without starvation. When the head of the order (the first unit that waits for capacity)
 * cannot be placed, capacity is earmarked for it: for each member in turn, the node where the fewest
 * running workloads (its blockers) have to finish before the member fits (ties: lowest priorities,
 * then node order); members that fit as things are take what is free. Later units may still be placed
 * ("backfilled") anywhere, even on an earmarked node, but only if the head would still fit once the
 * same blockers are gone. So backfill never adds to what the head waits for.
 *
 * Across cycles: the cycle reports the earmark (`CycleResult.held`) and the caller passes it back
 * (`CycleInput.held`). While it is still valid (the same head, and it fits once the remaining
 * blockers are gone), it is kept, so the blocker set only shrinks as blockers finish and the head
 * runs when the last one has (unless higher priorities arrive first). That is the no-starvation
 * argument; backfill.property.test.ts checks it. Without `held` the earmark is recomputed each
 * cycle (still never delayed by backfill within a cycle).
 *
 * The Earmark type itself lives in context.ts (the cycle state holds one), so that context.ts does
 * not import this module back.
 */

/** An earmark as reported to the caller and passed back into the next cycle. */
export interface Held {
  /** The head's workload id, or its gang id. */
  readonly head: string;
  readonly nodes: readonly string[];
  readonly blockers: readonly string[];
}

/** Whether the head is placed (a gang is placed whole or not at all). */
export function headPlaced(ctx: CycleContext, mark: Earmark): boolean {
  return ctx.snapshot.placement(mark.head.members[0]!.id) !== undefined;
}

/**
 * With `blockers` gone, places the head's members in order (each where the framework prefers) and
 * returns the nodes involved, or null when some member does not fit. Leaves the snapshot as it was.
 */
function tryWithout(ctx: CycleContext, head: Unit, blockers: readonly string[]): string[] | null {
  const cp = ctx.checkpoint();
  const nodes = new Set<string>();
  for (const id of blockers) {
    const p = ctx.snapshot.placement(id);
    if (!p) continue;
    nodes.add(p.allocation.node);
    ctx.evict(id);
  }
  let ok = true;
  for (const m of head.members) {
    const d = ctx.place(m);
    if (!d.ok) {
      ok = false;
      break;
    }
    nodes.add(d.allocation.node);
  }
  ctx.rollback(cp);
  return ok ? [...nodes].sort() : null;
}

/** The earmark for `head`, or null when some member could not fit even after everything finished. */
export function computeEarmark(ctx: CycleContext, head: Unit): Earmark | null {
  const cp = ctx.checkpoint();
  const blockers: string[] = [];
  const own = new Set(head.members.map((m) => m.id));
  const notOwn = (p: Placed) => !own.has(p.workload.id);
  for (const member of head.members) {
    if (ctx.place(member).ok) continue;
    let best: VictimGroup[] | null = null;
    for (const node of ctx.snapshot.nodes) {
      const set = minimalVictims(ctx, member, node, notOwn, { guardQueues: false });
      if (set === null || set.length === 0) continue;
      if (best === null || (victimCount(set) - victimCount(best) || compareVictimSets(set, best)) < 0)
        best = set;
    }
    const ids = best?.flatMap((g) => g.members.map((m) => m.allocation.workloadId)) ?? [];
    for (const id of ids) ctx.evict(id);
    if (best === null || !ctx.place(member).ok) {
      ctx.rollback(cp);
      return null;
    }
    blockers.push(...ids);
  }
  ctx.rollback(cp);
  const nodes = tryWithout(ctx, head, blockers);
  return nodes === null ? null : { head, blockers, nodes };
}

/**
 * The previous cycle's earmark, kept when it is for the same head and still valid: the head fits once
 * the blockers still running are gone. Null otherwise (then compute a new one).
 */
export function keepEarmark(ctx: CycleContext, head: Unit, held: Held | undefined): Earmark | null {
  if (!held || held.head !== head.key) return null;
  const blockers = held.blockers.filter((id) => ctx.snapshot.placement(id));
  const nodes = tryWithout(ctx, head, blockers);
  return nodes === null ? null : { head, blockers, nodes };
}

/**
 * Whether the current state delays the earmarked head: it is not placed, and it would no longer fit
 * even after its blockers finished. Leaves the snapshot as it found it.
 */
export function delaysHead(ctx: CycleContext): boolean {
  const mark = ctx.earmark;
  if (mark === null || headPlaced(ctx, mark)) return false;
  return tryWithout(ctx, mark.head, mark.blockers) === null;
}

/** Whether any of `ids` was placed on one of the earmark's nodes (only then can it delay the head). */
export function touchesEarmark(ctx: CycleContext, ids: readonly string[]): boolean {
  const mark = ctx.earmark;
  if (mark === null) return false;
  return ids.some((id) => {
    const at = ctx.snapshot.placement(id)?.allocation.node;
    return at !== undefined && mark.nodes.includes(at);
  });
}

/** "node n1 is held for big" / "nodes n1, n2 are held for g". */
export function heldNote(mark: Earmark): string {
  return mark.nodes.length === 1
    ? `node ${mark.nodes[0]} is held for ${mark.head.key}`
    : `nodes ${mark.nodes.join(", ")} are held for ${mark.head.key}`;
}
