import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import type { QueueSpec } from "../core/queue.js";
import type { Workload } from "../core/workload.js";
import type { Eviction } from "../scheduler/actions/index.js";

/**
 * The cluster port: everything a scheduling loop needs from the world, and nothing else. The loop
 * (schedule-loop.ts) runs cycles over it; the SQLite store is its first implementation
 * (store-cluster.ts, standalone `gpupool up`), the Kubernetes API server the second.
 *
 * Contract (each implementation keeps it; schedule-loop.test.ts runs the loop over an in-memory one):
 * - nodes() and placed() describe the cluster now: every node, and every workload that holds a
 *   placement (bound and not yet ended; a workload being stopped holds its placement until its
 *   container is gone). The loop reads them once at start and then follows changes().
 * - pending(now) lists the workloads waiting to be placed that a cycle should consider (a bounded
 *   window: highest priority first, then submission order), each with its gang's other waiting
 *   members. Workloads in backoff (not before `now`) are left out.
 * - queues() gives every queue's spec (guarantees, limits); a queue absent there has neither.
 * - changes(listener) calls the listener after each committed change the loop must see: work
 *   submitted or requeued, work that left its placement (ended, stopped, preempted), queues or nodes
 *   changed. It returns the unsubscribe function. Calls may come at any time, never re-entrantly
 *   from inside bind/evict/noteReasons.
 * - bind(allocations) binds what a cycle placed, all or each on its own, and returns the ids bound;
 *   an id not returned was not bound (it changed meanwhile) and stays where it was. Binding only
 *   starts the work (the container or pod starts afterwards); it never waits for it.
 * - evict(eviction) starts a graceful stop of placed work for a preemptor; idempotent. The work keeps
 *   its placement until it is gone, and changes() says when.
 * - noteReasons(reasons) records why each listed pending workload waits, for users to see.
 */
export interface ClusterPort {
  nodes(): readonly NodeSpec[];
  placed(): readonly PlacedWork[];
  pending(now: number): readonly Workload[];
  queues(): readonly QueueSpec[];
  changes(listener: (change: ClusterChange) => void): () => void;
  bind(allocations: readonly Allocation[]): readonly string[];
  evict(eviction: Eviction): void;
  noteReasons(reasons: ReadonlyMap<string, string>): void;
}

/** A workload holding a placement. */
export interface PlacedWork {
  readonly workload: Workload;
  readonly allocation: Allocation;
}

export type ClusterChange =
  /** New or requeued work waits (or a backoff ended): a cycle may place it. */
  | { readonly kind: "pending"; readonly id: string }
  /** Placed work gave up its placement (ended, stopped or requeued): its capacity is free. */
  | { readonly kind: "released"; readonly id: string }
  /** Queue specs changed (a tenant's quotas, a new tenant). */
  | { readonly kind: "queues" }
  /** Nodes were added, changed or removed: read nodes() again. */
  | { readonly kind: "nodes" };
