import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import type { Workload } from "../core/workload.js";
import type { ProfileInput } from "../scheduler/framework/profile.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { WorkloadStats } from "../scheduler/stats/workload-stats.js";
import type { PlacedWork } from "./cluster-port.js";

/**
 * The scheduler's view of the cluster, kept alive across cycles (kube-scheduler's cache): one
 * snapshot and framework, so the shape caches survive, updated by events instead of rebuilt from
 * rows each cycle.
 *
 *   add (placed at start) ──┐
 *   assume (bound by a cycle)┴─► placed ──remove (its capacity is free)──► gone
 *                                    └──forget (the bind failed)──► gone
 *
 * A node change rebuilds the scheduler over the new nodes and re-applies every placement that still
 * has its node (node changes are rare; placements on a removed node are dropped with it).
 *
 * The workload statistics (the shape distribution the default and fgd policies learn from the pods
 * they see) live here too, so a node change keeps what was learnt; work found placed at start-up
 * counts into them as if just submitted.
 */
export class ScheduleCache {
  private sched: Scheduler;
  private readonly work = new Map<string, PlacedWork>();
  readonly stats = new WorkloadStats();

  constructor(
    nodes: readonly NodeSpec[],
    private readonly profile: ProfileInput,
  ) {
    this.sched = new Scheduler(nodes, { profile, seed: 1, stats: this.stats });
  }

  get scheduler(): Scheduler {
    return this.sched;
  }

  has(id: string): boolean {
    return this.work.has(id);
  }

  get size(): number {
    return this.work.size;
  }

  /** Places work found placed (start-up) or just bound (assume); a second add of the same id is a no-op. */
  add(workload: Workload, allocation: Allocation): void {
    if (this.work.has(workload.id)) return;
    this.sched.observe(workload);
    if (!this.sched.snapshot.node(allocation.node)) return;
    const stmt = this.sched.statement();
    stmt.allocate(workload, allocation);
    stmt.commit();
    this.work.set(workload.id, { workload, allocation });
  }

  /** A cycle's placement, taken before the bind call so the next cycle cannot place into it twice. */
  assume(workload: Workload, allocation: Allocation): void {
    this.add(workload, allocation);
  }

  /** Undoes an assume whose bind failed. */
  forget(id: string): void {
    this.remove(id);
  }

  /** The work gave up its placement; a no-op for unknown ids. */
  remove(id: string): void {
    if (!this.work.delete(id)) return;
    if (!this.sched.snapshot.placement(id)) return;
    const stmt = this.sched.statement();
    stmt.evict(id);
    stmt.commit();
  }

  setNodes(nodes: readonly NodeSpec[]): void {
    const placed = [...this.work.values()];
    this.sched = new Scheduler(nodes, { profile: this.profile, seed: 1, stats: this.stats });
    this.work.clear();
    for (const p of placed) this.add(p.workload, p.allocation);
  }
}
