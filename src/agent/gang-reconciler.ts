import { gangProgress, gangState, memberName, ranksToMake } from "../core/gang.js";
import { inTransaction, ownerKind, type Store, type StoreChange } from "../store/index.js";
import { DirtySet } from "./dirty-set.js";
import type { Logger } from "../loop/logger.js";

/**
 * Turns gangs (store/workloads.ts kind gang) into their member jobs, one per rank, and keeps the
 * gang's state and counts from its members'. A gang's members are made in the transaction of its
 * submission (the reconcile runs there), so the scheduler sees all or none of them; a reconcile at
 * start makes any a crash could have left out (the (owner, slot) index refuses a second one). What
 * a gang does when a member fails (its siblings stopped) stays the runner's (gang-repair.ts).
 */
export class GangReconciler {
  private readonly dirty: DirtySet;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    log: Logger,
  ) {
    this.dirty = new DirtySet((id) => this.reconcile(id), log, "gang");
  }

  start(): void {
    this.unsubscribe = this.store.changes.subscribe((c: StoreChange) => {
      if (c.kind === "job" && c.owner && ownerKind(c.owner) === "gang") this.dirty.mark(c.owner);
    });
    for (const w of this.store.workloads.list({ running: true, kind: "gang" })) this.dirty.mark(w.id);
    this.dirty.flush();
  }

  /** Makes the gang's missing members (while it runs), then records its counts and state. */
  reconcile(id: string): void {
    inTransaction(this.store.db, () => {
      const w = this.store.workloads.get(id);
      if (w?.kind !== "gang") return;
      const size = w.spec.replicas;
      const members = this.store.workloads.ownedJobs(id);
      if (w.state === "Running")
        for (const rank of ranksToMake(
          size,
          members.map((m) => m.slot),
        )) {
          const r = this.store.jobs.submit(w.tenant, {
            name: memberName(w.name, rank),
            spec: { ...w.spec, rank },
            priority: w.spec.priority,
            queue: w.tenant,
            gang: id,
            owner: { id, slot: rank },
            ...(w.clientRequestId !== null ? { clientRequestId: `${w.clientRequestId}#${rank}` } : {}),
          });
          members.push({ slot: rank, state: r.job.state });
        }
      const states = members.map((m) => m.state);
      const state = w.state === "Running" ? gangState(size, states) : w.state;
      this.store.workloads.update(id, state, gangProgress(size, states), w.reason ?? undefined);
    });
  }

  close(): void {
    this.unsubscribe?.();
    this.dirty.clear();
  }
}
