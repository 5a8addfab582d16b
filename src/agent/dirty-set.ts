import type { Logger } from "../loop/logger.js";

/**
 * Ids to handle once each, soon: what a reconciler gathers from the store's change feed. Marks made
 * in one event-loop turn are handled together in the next (setImmediate), each id once however
 * often it was marked; a handler that throws is logged and the others still run (the next mark, or
 * the next start, tries that id again).
 */
export class DirtySet {
  private readonly ids = new Set<string>();
  private pending: ReturnType<typeof setImmediate> | undefined;

  constructor(
    private readonly handle: (id: string) => void,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** Marks `id` for the next turn. */
  mark(id: string): void {
    this.ids.add(id);
    this.pending ??= setImmediate(() => this.flush());
  }

  /** Handles every marked id now. */
  flush(): void {
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
    const ids = [...this.ids];
    this.ids.clear();
    for (const id of ids) {
      try {
        this.handle(id);
      } catch (err) {
        this.log.error({ err, id }, `${this.what} reconcile failed`);
      }
    }
  }

  /** Drops what is marked (close: the next start redoes it). */
  clear(): void {
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
    this.ids.clear();
  }
}
