import type { Allocation } from "../../core/allocation.js";
import type { QueueSpec } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import type { Decision, Scheduler } from "../scheduler.js";
import type { Placed } from "../snapshot/node-info.js";
import type { Statement } from "../snapshot/statement.js";
import { allocationResources, QueueLedger, queueOf } from "./ledger.js";
import type { Unit } from "./units.js";

/** Why a running workload is to be stopped, and for whom. */
export interface Eviction {
  readonly workloadId: string;
  /** preempt: a strictly higher priority needs the room; reclaim: a queue takes back its guarantee. */
  readonly reason: "preempt" | "reclaim";
  /** The workload (or gang member) the room was made for. */
  readonly by: string;
}

/**
 * Capacity earmarked for the head of the order (the first unit that waits for capacity), so that
 * backfill never delays it; computed and kept by backfill.ts.
 */
export interface Earmark {
  readonly head: Unit;
  /** Running workloads that must finish before the head fits. */
  readonly blockers: readonly string[];
  /** Nodes the head would use once its blockers are gone, and the nodes the blockers run on. */
  readonly nodes: readonly string[];
}

/** Where a cycle stood, to roll back to. */
export interface Checkpoint {
  readonly stmt: number;
  readonly ledger: QueueLedger;
  readonly evictions: number;
  readonly placedOrder: number;
}

const HOLD_PREFIX = "\u0000hold:";

/**
 * The state of one cycle shared by its actions: the Statement every change goes through, the queue
 * ledger kept in step with it, the evictions made and why, and the backfill earmark.
 *
 * Contract: actions change the snapshot only through `place`, `evict`, `hold`/`unhold` and
 * `rollback`, so the ledger, the eviction log and the Statement always agree.
 */
export class CycleContext {
  ledger: QueueLedger;
  /** Workloads placed before the cycle began (their eviction is a real eviction, not an unbind). */
  readonly runningAtStart: ReadonlySet<string>;
  readonly evictions: Eviction[] = [];
  /** For each eviction, how many placements the cycle had made before it (placedOrder's length then). */
  readonly evictedAfter: number[] = [];
  /** Ids placed in this cycle, in order (some may have been evicted again later in the cycle). */
  readonly placedOrder: string[] = [];
  /** Set by allocate for the first unit that waits for capacity; later units must not delay it. */
  earmark: Earmark | null = null;
  /** Unit key → the position allocate tried it at. Units tried before the head are not held back by its earmark. */
  readonly rank = new Map<string, number>();

  constructor(
    readonly scheduler: Scheduler,
    readonly stmt: Statement,
    queues: readonly QueueSpec[],
  ) {
    this.ledger = QueueLedger.fromSnapshot(queues, scheduler.snapshot);
    this.runningAtStart = new Set(scheduler.snapshot.placedWorkloads().map((p) => p.allocation.workloadId));
  }

  get snapshot() {
    return this.scheduler.snapshot;
  }

  checkpoint(): Checkpoint {
    return {
      stmt: this.stmt.checkpoint(),
      ledger: this.ledger.clone(),
      evictions: this.evictions.length,
      placedOrder: this.placedOrder.length,
    };
  }

  rollback(cp: Checkpoint): void {
    this.stmt.rollback(cp.stmt);
    this.ledger.restore(cp.ledger);
    this.evictions.length = cp.evictions;
    this.evictedAfter.length = cp.evictions;
    this.placedOrder.length = cp.placedOrder;
  }

  /** Runs the full scheduling cycle for `w` and applies it; a permit Wait counts as placed (gangs). */
  place(w: Workload): Decision {
    const d = this.scheduler.place(w, this.stmt);
    if (d.ok) {
      this.ledger.add(queueOf(w), allocationResources(this.snapshot, d.allocation));
      this.placedOrder.push(w.id);
    }
    return d;
  }

  /** Whether `w` would be placed somewhere now (the snapshot is not changed). */
  fits(w: Workload): boolean {
    return this.scheduler.framework.schedule(w).ok;
  }

  /** Removes a placed workload; `why` is recorded unless this is a what-if probe. */
  evict(id: string, why?: Omit<Eviction, "workloadId">): Placed {
    const placed = this.stmt.evict(id);
    this.ledger.remove(queueOf(placed.workload), allocationResources(this.snapshot, placed.allocation));
    if (why) {
      this.evictions.push({ workloadId: id, ...why });
      this.evictedAfter.push(this.placedOrder.length);
    }
    return placed;
  }

  /** Puts back, as it was, a workload evicted earlier in this cycle (what-if probes). */
  readd(p: Placed): void {
    this.stmt.allocate(p.workload, p.allocation);
    this.ledger.add(queueOf(p.workload), allocationResources(this.snapshot, p.allocation));
  }

  /**
   * Makes a node unusable for anything that asks for CPU, memory or a GPU share by placing a
   * placeholder that takes all of its free CPU, memory and non-MIG GPU room. Undo with `unhold`.
   */
  hold(nodeName: string): string {
    const node = this.snapshot.node(nodeName);
    if (!node) throw new Error(`hold on unknown node ${nodeName}`);
    const id = `${HOLD_PREFIX}${nodeName}`;
    const gpus = node.spec.gpus
      .map((g, index) => ({
        index,
        milli: g.migEnabled ? 0 : node.gpuFree[index]!,
        memoryMiB: g.migEnabled ? 0 : node.gpuMemFree[index]!,
      }))
      .filter((a) => a.milli > 0 || a.memoryMiB > 0);
    const alloc: Allocation = {
      workloadId: id,
      node: nodeName,
      cpuMilli: node.cpuFree,
      memoryMiB: node.memFree,
      gpus,
    };
    this.stmt.allocate(
      { id, cpuMilli: alloc.cpuMilli, memoryMiB: alloc.memoryMiB, gpu: { kind: "none" } },
      alloc,
    );
    return id;
  }

  unhold(id: string): void {
    this.stmt.evict(id);
  }

  holdAll(nodes: readonly string[]): string[] {
    return nodes.map((n) => this.hold(n));
  }

  unholdAll(ids: readonly string[]): void {
    for (const id of [...ids].reverse()) this.unhold(id);
  }

  /** The placed members of `p`'s gang (just `p` when it has none): evicting one evicts them all. */
  evictionGroup(p: Placed): Placed[] {
    const gang = p.workload.gang;
    if (!gang) return [p];
    return this.snapshot
      .placedWorkloads()
      .filter((q) => q.workload.gang?.id === gang.id)
      .sort((a, b) => (a.allocation.workloadId < b.allocation.workloadId ? -1 : 1));
  }

  /** How many members of gang `id` are placed now. */
  placedGangMembers(id: string): number {
    let n = 0;
    for (const p of this.snapshot.placedWorkloads()) if (p.workload.gang?.id === id) n++;
    return n;
  }
}

export function isHold(id: string): boolean {
  return id.startsWith(HOLD_PREFIX);
}
