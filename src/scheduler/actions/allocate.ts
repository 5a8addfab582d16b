import { computeEarmark, type Held, keepEarmark } from "./backfill.js";
import type { CycleContext } from "./context.js";
import { admissible, placeUnitBackfilling, type Waiting } from "./place-unit.js";
import type { Unit } from "./units.js";

export interface AllocateOptions {
  /**
   * true (default): when the head waits for capacity, later units may still be placed as long as they
   * do not delay it (see backfill.ts). false: everything after the head waits behind it.
   */
  readonly backfill: boolean;
  /** The previous cycle's earmark (CycleResult.held), kept while still valid for the same head. */
  readonly held?: Held;
}

/**
 * The order units are tried in, recomputed after every placement: priority first (higher first),
 * then units that keep their queue within its guarantee, then the queue that borrows least per
 * unit of weight (so idle capacity is shared by weight), then FIFO.
 */
function nextUnit(ctx: CycleContext, heads: readonly Unit[]): Unit | null {
  let best: Unit | null = null;
  let bestKey: readonly number[] = [];
  for (const u of heads) {
    const key = [
      -u.priority,
      ctx.ledger.withinGuarantee(u.queue, u.demand) ? 0 : 1,
      ctx.ledger.borrowShare(u.queue),
      u.seq,
    ];
    if (best === null || lexLess(key, bestKey) || (lexEqual(key, bestKey) && u.key < best.key)) {
      best = u;
      bestKey = key;
    }
  }
  return best;
}

/**
 * Allocate: places pending units in order, each all-or-nothing inside the cycle's Statement. Records
 * why each unit that stays pending waits. The first unit that waits for capacity becomes the head
 * and gets an earmark; units after it are backfilled only where they do not delay it.
 */
export function allocate(
  ctx: CycleContext,
  units: readonly Unit[],
  waiting: Map<string, Waiting>,
  opts: AllocateOptions,
): void {
  const queues = new Map<string, Unit[]>();
  for (const u of units) {
    const list = queues.get(u.queue) ?? [];
    list.push(u);
    queues.set(u.queue, list);
  }
  const cursor = new Map<string, number>([...queues.keys()].map((q) => [q, 0]));
  let blockedBy: Unit | null = null;
  for (;;) {
    const heads: Unit[] = [];
    for (const [q, list] of queues) {
      const i = cursor.get(q)!;
      if (i < list.length) heads.push(list[i]!);
    }
    const unit = nextUnit(ctx, heads);
    if (unit === null) return;
    cursor.set(unit.queue, cursor.get(unit.queue)! + 1);
    ctx.rank.set(unit.key, ctx.rank.size);
    if (blockedBy !== null && !opts.backfill) {
      waiting.set(unit.key, {
        kind: "capacity",
        reason: `queued behind ${blockedBy.key} (backfill is off)`,
        resolvable: false,
      });
      continue;
    }
    const w = admissible(ctx, unit) ?? placeUnitBackfilling(ctx, unit);
    if (w === null) continue;
    waiting.set(unit.key, w);
    if (w.kind !== "capacity" || !w.resolvable) continue;
    if (blockedBy === null) blockedBy = unit;
    if (opts.backfill && ctx.earmark === null)
      ctx.earmark = keepEarmark(ctx, unit, opts.held) ?? computeEarmark(ctx, unit);
  }
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function lexEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.every((v, i) => v === b[i]);
}
