import {
  type ArrayProgress,
  arrayProgress,
  arrayStateOf,
  parseArrayIndexes,
  type TaskState,
  taskCount,
  taskIndexes,
  tasksToCreate,
} from "../core/array.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import { isFinished } from "../core/job-states.js";
import {
  inTransaction,
  ownerKind,
  type Store,
  type StoreChange,
  type WorkloadRecord,
} from "../store/index.js";
import { DirtySet } from "./dirty-set.js";
import type { Logger } from "../loop/logger.js";

/**
 * Turns batch arrays (store/workloads.ts) into jobs, the way a Kubernetes Job controller turns an
 * Indexed Job into pods: each reconcile reads the array and the jobs it owns, creates the next
 * tasks (core/array.ts tasksToCreate: the lowest slots not created yet, up to `parallelism` live),
 * and writes the progress and state back, all in one transaction. It keeps no state of its own, so
 * running it again after a crash (or twice for one change) creates nothing twice; the store's
 * unique (owner, slot) index would refuse a second job for a slot anyway.
 *
 * It runs when an owned job changes (the store's change feed, gathered per event-loop turn), when
 * an array is submitted (inside the submission's transaction: its first tasks commit with it), and
 * for every running array at start (what a crash between a task's end and its successor left).
 */
export class ArrayReconciler {
  private readonly dirty: DirtySet;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    log: Logger,
  ) {
    this.dirty = new DirtySet((id) => this.reconcile(id), log, "array");
  }

  /** Follows owned jobs' changes and reconciles every running array once (call after recovery). */
  start(): void {
    this.unsubscribe = this.store.changes.subscribe((c: StoreChange) => {
      if (c.kind === "job" && c.owner && ownerKind(c.owner) === "array") this.dirty.mark(c.owner);
    });
    for (const w of this.store.workloads.list({ running: true, kind: "array" })) this.dirty.mark(w.id);
    this.dirty.flush();
  }

  /**
   * One reconcile of array `id`: creates the tasks due now (only while the array runs), then
   * records its progress and state. Returns the progress; undefined for an unknown array.
   */
  reconcile(id: string): ArrayProgress | undefined {
    return inTransaction(this.store.db, () => {
      const w = this.store.workloads.get(id);
      if (!w?.spec.array) return undefined;
      const { pack, parallelism } = w.spec.array;
      const indexes = parseArrayIndexes(w.spec.array.indexes);
      const tasks: TaskState[] = this.store.workloads
        .ownedJobs(id)
        .map((j) => ({ task: j.slot, state: j.state }));
      let waiting: string | undefined;
      if (w.state === "Running") {
        const total = taskCount(indexes.length, pack);
        const { slots, cap } = this.slots(w, tasks, parallelism);
        const due = tasksToCreate(total, tasks, slots);
        const unmade = total - tasks.length - due.length;
        if (slots < parallelism && unmade > 0)
          waiting = `${unmade} task(s) wait for room under tenant ${w.tenant}'s activeJobs quota (${cap})`;
        for (const task of due) {
          const own = taskIndexes(indexes, pack, task);
          const name = `${w.name}-${own[0]}`;
          this.store.jobs.submit(w.tenant, {
            name,
            spec: taskSpec(w.spec, name, own),
            priority: w.spec.priority,
            queue: w.tenant,
            owner: { id, slot: task },
          });
          tasks.push({ task, state: "Pending" });
        }
      }
      const progress = arrayProgress(indexes.length, pack, tasks);
      const state = w.state === "Running" ? arrayStateOf(progress) : w.state;
      const reason =
        w.state !== "Running"
          ? (w.reason ?? undefined)
          : state === "Failed"
            ? `${progress.failed} of ${progress.total} indexes failed`
            : waiting;
      this.store.workloads.update(id, state, progress, reason);
      return progress;
    });
  }

  /**
   * How many tasks may be live now: the array's parallelism, less what the tenant's activeJobs quota
   * leaves (jobs of other workloads and single jobs count against it too).
   */
  private slots(
    w: WorkloadRecord,
    tasks: readonly TaskState[],
    parallelism: number,
  ): { slots: number; cap?: number } {
    const cap = this.store.tenants.get(w.tenant)?.quotas.activeJobs;
    if (cap === undefined) return { slots: parallelism };
    const live = this.store.jobs.liveCount(w.tenant);
    const mine = tasks.filter((t) => !isFinished(t.state)).length;
    return { slots: Math.min(parallelism, mine + Math.max(0, cap - live)), cap };
  }

  /** Stops following changes (pending reconciles are dropped: the next start redoes them). */
  close(): void {
    this.unsubscribe?.();
    this.dirty.clear();
  }
}

/** A task's spec: the array's, without `array`, named for its first index, with its indexes. */
export function taskSpec(spec: NormalizedSpec, name: string, indexes: readonly number[]): NormalizedSpec {
  const { array: _array, ...rest } = spec;
  return { ...rest, name, arrayIndexes: [...indexes] };
}
