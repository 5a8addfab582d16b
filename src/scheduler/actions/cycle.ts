import type { Allocation } from "../../core/allocation.js";
import type { QueueSpec } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import type { Scheduler } from "../scheduler.js";
import type { Statement } from "../snapshot/statement.js";
import { allocate } from "./allocate.js";
import { type Held, headPlaced } from "./backfill.js";
import { CycleContext, type Eviction } from "./context.js";
import type { Waiting } from "./place-unit.js";
import { preempt } from "./preempt.js";
import { reclaim } from "./reclaim.js";
import { buildUnits } from "./units.js";

export const ACTIONS = ["allocate", "reclaim", "preempt"] as const;
export type ActionName = (typeof ACTIONS)[number];

export interface CycleInput {
  /** Workloads waiting to run. Ones already placed in the scheduler's snapshot are ignored. */
  readonly pending: readonly Workload[];
  /** Queue specs (see core/queue.ts queueSpec); a queue named by a workload but absent here has no guarantee and no limit. */
  readonly queues?: readonly QueueSpec[];
  /** Actions in the order they run; default allocate → reclaim → preempt (KAI-Scheduler's order). */
  readonly actions?: readonly ActionName[];
  /** Backfill behind a waiting head without delaying it (default true); see actions/backfill.ts. */
  readonly backfill?: boolean;
  /** The previous cycle's `held`, so the head keeps its earmark (and its shrinking blocker set). */
  readonly held?: Held;
}

/** The cycle's decisions, for the server (or the simulator) to carry out. */
export interface CycleResult {
  /** New placements, in the order they were made. */
  readonly bind: Allocation[];
  /** Running workloads (placed before the cycle) to stop. */
  readonly evict: Eviction[];
  /**
   * Ids in `bind` placed after the cycle's first eviction of running work: they may use the room
   * the evicted workloads free, so a caller whose evictions take time (graceful stops) binds them
   * only once those are gone. The rest of `bind` fits with every running workload still in place.
   */
  readonly afterEvictions: ReadonlySet<string>;
  /** Every pending workload not bound, with a human-readable reason. */
  readonly pending: Map<string, string>;
  /** The earmark for the head of the order, if one still waits: pass it back as the next cycle's `held`. */
  readonly held: Held | null;
}

/**
 * One scheduling cycle over the scheduler's snapshot (which already holds the running placements):
 * the configured actions run in order inside one Statement, each trying a unit under a checkpoint and
 * rolling back what did not work out.
 *
 * Without `stmt`, the cycle's changes are committed to the snapshot (the next cycle starts from them).
 * With `stmt`, they are left in it for the caller to commit or roll back (what-if).
 * Deterministic: the same snapshot, input and scheduler seed give the same result.
 */
export function runCycle(scheduler: Scheduler, input: CycleInput, stmt?: Statement): CycleResult {
  const statement = stmt ?? scheduler.statement();
  const ctx = new CycleContext(scheduler, statement, input.queues ?? []);
  const fresh = input.pending.filter((w) => !ctx.runningAtStart.has(w.id));
  // Everything pending has been submitted: it counts into the statistics before anything is placed.
  for (const w of fresh) scheduler.observe(w);
  const units = buildUnits(fresh);
  const waiting = new Map<string, Waiting>();
  for (const action of input.actions ?? ACTIONS) {
    switch (action) {
      case "allocate":
        allocate(ctx, units, waiting, {
          backfill: input.backfill ?? true,
          ...(input.held ? { held: input.held } : {}),
        });
        break;
      case "reclaim":
        reclaim(ctx, units, waiting);
        break;
      case "preempt":
        preempt(ctx, units, waiting);
        break;
    }
  }
  const result = collect(ctx, units, waiting);
  if (!stmt) statement.commit();
  return result;
}

function collect(
  ctx: CycleContext,
  units: ReturnType<typeof buildUnits>,
  waiting: Map<string, Waiting>,
): CycleResult {
  const snapshot = ctx.snapshot;
  const bind: Allocation[] = [];
  for (const id of ctx.placedOrder) {
    const placed = snapshot.placement(id);
    if (placed) bind.push(placed.allocation);
  }
  const evict: Eviction[] = [];
  const unbound = new Map<string, string>();
  let firstEviction = Number.POSITIVE_INFINITY;
  for (const [i, e] of ctx.evictions.entries()) {
    if (ctx.runningAtStart.has(e.workloadId)) {
      evict.push(e);
      firstEviction = Math.min(firstEviction, ctx.evictedAfter[i]!);
    } else
      unbound.set(
        e.workloadId,
        `${e.reason === "preempt" ? "preempted" : "reclaimed"} by ${e.by} before it was bound`,
      );
  }
  const pending = new Map<string, string>();
  for (const unit of units) {
    for (const m of unit.members) {
      if (snapshot.placement(m.id)) continue;
      pending.set(
        m.id,
        unbound.get(m.id) ?? waiting.get(unit.key)?.reason ?? "not tried (no action placed it)",
      );
    }
  }
  const afterEvictions = new Set<string>();
  for (const [i, id] of ctx.placedOrder.entries())
    if (i >= firstEviction && snapshot.placement(id)) afterEvictions.add(id);
  const mark = ctx.earmark;
  const held =
    mark && !headPlaced(ctx, mark)
      ? {
          head: mark.head.key,
          nodes: mark.nodes,
          blockers: mark.blockers.filter((id) => snapshot.placement(id)),
        }
      : null;
  return { bind, evict, afterEvictions, pending, held };
}
