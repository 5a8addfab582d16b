import type { Workload } from "../../core/workload.js";
import type { CycleContext } from "./context.js";
import { compareVictimSets, minimalVictims, type VictimGroup, victimCount } from "./victims.js";

/**
 * Backfill without starvation. When the head of the order (the first unit that waits for capacity)
 * cannot be placed, a node is earmarked for it: the node where the fewest running workloads have to
 * finish before the head fits (ties: fewest workloads, lowest priorities, node order). Later units may
 * still be placed ("backfilled") anywhere, and even on the earmarked node, but only if afterwards
 * the head would still fit there once those same blockers are gone. So backfill never adds to what
 * the head waits for; as the blockers finish, the head's wait only shrinks, and it cannot starve.
 *
 * Re-earmarking each cycle keeps this true: the earmarked node's blocker set never grows through
 * backfill, so the best node's blocker count never rises (only higher priorities can take room first).
 * The earmark is for single workloads; a gang at the head gets none (see the report of limits).
 */
export interface Earmark {
  readonly head: Workload;
  readonly node: string;
  /** Running workloads on `node` that must finish before the head fits there. */
  readonly blockers: readonly string[];
}

/** The earmark for `head`, or null when no node could take it even after everything on it finished. */
export function computeEarmark(ctx: CycleContext, head: Workload): Earmark | null {
  let best: { node: string; set: VictimGroup[] } | null = null;
  for (const node of ctx.snapshot.nodes) {
    const set = minimalVictims(ctx, head, node, () => true, { guardQueues: false });
    if (set === null) continue;
    if (best === null || (victimCount(set) - victimCount(best.set) || compareVictimSets(set, best.set)) < 0) best = { node: node.name, set };
  }
  if (best === null) return null;
  const blockers = best.set.flatMap((g) => g.members.map((m) => m.allocation.workloadId));
  return { head, node: best.node, blockers };
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

/** Whether any of `ids` was placed on the earmarked node (only then can it delay the head). */
export function touchesEarmark(ctx: CycleContext, ids: readonly string[]): boolean {
  const mark = ctx.earmark;
  if (mark === null) return false;
  return ids.some((id) => ctx.snapshot.placement(id)?.allocation.node === mark.node);
}
