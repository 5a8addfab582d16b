import type { JobState } from "./job-states.js";

/**
 * What changed in the store, emitted after the write commits (never for a rolled-back one): a job
 * submitted or moved to another state, a tenant created or its quotas replaced. The scheduling loop
 * follows it instead of being kicked; a live view can follow it too.
 */
export type StoreChange =
  | {
      readonly kind: "job";
      readonly id: string;
      readonly tenant: string;
      readonly gang: string | null;
      /** The workload that made the job (workloads.ts), if any. */
      readonly owner: string | null;
      /** null: just submitted. */
      readonly from: JobState | null;
      readonly to: JobState;
    }
  | { readonly kind: "tenant"; readonly name: string };

export type ChangeListener = (change: StoreChange) => void;

/** Listeners of store changes. A listener that throws is logged by the feed's owner, never the writer's problem. */
export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(change: StoreChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
