import type { Workload } from "../../core/workload.js";
import type { CycleContext } from "./context.js";
import { compareVictimSets, minimalVictims, type VictimGroup, victimCount } from "./victims.js";

/**
 * Backfill without starvation. When the head of the order (the first unit that waits for capacity)
 * cannot be placed, a node is earmarked for it: the node where the fewest running workloads (its
 * blockers) have to finish before the head fits (ties: lowest priorities, then node order). Later
 * units may still be placed ("backfilled") anywhere, even on the earmarked node, but only if the
 * head would still fit once those same blockers are gone. So backfill never adds to what the head
 * waits for.
 *
 * Across cycles: the cycle reports the earmark (`CycleResult.held`) and the caller passes it back
 * (`CycleInput.held`). While it is still valid (the head is still the head, and it fits once the
 * remaining blockers are gone), it is kept, so the blocker set only shrinks as blockers finish and
 * the head runs when the last one has (unless higher priorities arrive first). That is the
 * no-starvation argument; backfill.property.test.ts checks it. Without `held` the earmark is
 * recomputed each cycle (still never delayed by backfill within a cycle).
 *
 * The earmark is for single workloads; a gang at the head gets none.
 */
export interface Earmark {
  readonly head: Workload;
  readonly node: string;
  /** Running workloads that must finish before the head fits on `node`. */
  readonly blockers: readonly string[];
  /** `node` and every node a blocker runs on (a gang blocker may span nodes). */
  readonly nodes: readonly string[];
}

/** An earmark as reported to the caller and passed back into the next cycle. */
export interface Held {
  readonly workloadId: string;
  readonly node: string;
  readonly blockers: readonly string[];
}

function earmark(ctx: CycleContext, head: Workload, node: string, blockers: readonly string[]): Earmark {
  const nodes = new Set([node]);
  for (const id of blockers) {
    const at = ctx.snapshot.placement(id)?.allocation.node;
    if (at) nodes.add(at);
  }
  return { head, node, blockers, nodes: [...nodes] };
}

/** The earmark for `head`, or null when no node could take it even after everything on it finished. */
export function computeEarmark(ctx: CycleContext, head: Workload): Earmark | null {
  let best: { node: string; set: VictimGroup[] } | null = null;
  for (const node of ctx.snapshot.nodes) {
    const set = minimalVictims(ctx, head, node, () => true, { guardQueues: false });
    if (set === null) continue;
    if (best === null || (victimCount(set) - victimCount(best.set) || compareVictimSets(set, best.set)) < 0)
      best = { node: node.name, set };
  }
  if (best === null) return null;
  return earmark(
    ctx,
    head,
    best.node,
    best.set.flatMap((g) => g.members.map((m) => m.allocation.workloadId)),
  );
}

/**
 * The previous cycle's earmark, kept when it is for the same head and still valid: the head fits once
 * the blockers still running are gone. Null otherwise (then compute a new one).
 */
export function keepEarmark(ctx: CycleContext, head: Workload, held: Held | undefined): Earmark | null {
  if (!held || held.workloadId !== head.id || !ctx.snapshot.node(held.node)) return null;
  const blockers = held.blockers.filter((id) => ctx.snapshot.placement(id));
  const cp = ctx.checkpoint();
  for (const id of blockers) ctx.evict(id);
  const fits = ctx.fits(head);
  ctx.rollback(cp);
  return fits ? earmark(ctx, head, held.node, blockers) : null;
}

/**
 * Whether the current state delays the earmarked head: it is not placed, and it would no longer fit
 * even after its blockers finished. Leaves the snapshot as it found it.
 */
export function delaysHead(ctx: CycleContext): boolean {
  const mark = ctx.earmark;
  if (mark === null || ctx.snapshot.placement(mark.head.id)) return false;
  const cp = ctx.checkpoint();
  for (const id of mark.blockers) if (ctx.snapshot.placement(id)) ctx.evict(id);
  const fits = ctx.fits(mark.head);
  ctx.rollback(cp);
  return !fits;
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
