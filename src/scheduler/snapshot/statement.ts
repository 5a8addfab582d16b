import type { Allocation } from "../../core/allocation.js";
import type { Workload } from "../../core/workload.js";
import type { Placed } from "./node-info.js";
import type { Snapshot } from "./snapshot.js";

type Op =
  | { readonly kind: "allocate"; readonly workload: Workload; readonly alloc: Allocation }
  | { readonly kind: "evict"; readonly placed: Placed };

/**
 * A change set on a Snapshot that applies at once (so later decisions in the same cycle see it) and
 * can be rolled back to any checkpoint (after KAI-Scheduler's Statement). Preemption and gangs try
 * "what if" inside a statement and discard what did not work out.
 *
 * Contract: `rollback(cp)` undoes, in reverse order, every operation made after `checkpoint()`
 * returned `cp`; `commit()` returns the operations for the caller to carry out (bind, evict).
 */
export class Statement {
  private readonly ops: Op[] = [];

  constructor(readonly snapshot: Snapshot) {}

  allocate(workload: Workload, alloc: Allocation): void {
    this.snapshot._apply(workload, alloc);
    this.ops.push({ kind: "allocate", workload, alloc });
  }

  evict(workloadId: string): Placed {
    const placed = this.snapshot._release(workloadId);
    this.ops.push({ kind: "evict", placed });
    return placed;
  }

  checkpoint(): number {
    return this.ops.length;
  }

  rollback(checkpoint = 0): void {
    while (this.ops.length > checkpoint) {
      const op = this.ops.pop()!;
      if (op.kind === "allocate") this.snapshot._release(op.alloc.workloadId);
      else this.snapshot._apply(op.placed.workload, op.placed.allocation);
    }
  }

  /** The net effect: what was allocated and what was evicted (an evict+allocate of one workload is a move). */
  commit(): { allocated: { workload: Workload; alloc: Allocation }[]; evicted: Placed[] } {
    const allocated: { workload: Workload; alloc: Allocation }[] = [];
    const evicted: Placed[] = [];
    for (const op of this.ops) {
      if (op.kind === "allocate") allocated.push({ workload: op.workload, alloc: op.alloc });
      else evicted.push(op.placed);
    }
    this.ops.length = 0;
    return { allocated, evicted };
  }
}
