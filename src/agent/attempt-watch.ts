import type { ContainerEngine } from "../engines/engine.js";
import type { JobRecord } from "../store/index.js";
import type { Clock, Timer } from "../loop/clock.js";
import { unlessAbandoned } from "./faults.js";
import { timeoutAt } from "./lifecycle.js";
import type { Logger } from "../loop/logger.js";

/**
 * Follows running attempts: waits on each container until it exits, and fires its job's timeout
 * counted from the attempt's real start (kept across restarts). Everything is keyed by the attempt
 * (`<job id>#<attempt>`), so a watcher of an older attempt is never mistaken for a newer one's.
 */
export class AttemptWatch {
  private readonly watchers = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, Timer>();
  private readonly waits = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly engine: ContainerEngine,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly on: {
      /** The attempt's container exited with `code`. */
      readonly exited: (job: JobRecord, containerId: string, code: number) => Promise<void>;
      /** The attempt ran past its job's timeoutSeconds. */
      readonly timedOut: (job: JobRecord, seconds: number) => void;
    },
  ) {}

  watch(job: JobRecord, containerId: string): void {
    const key = attemptKey(job);
    const timeout = job.spec.timeoutSeconds;
    if (timeout !== undefined) {
      const left = Math.max(0, timeoutAt(job.startedAt ?? this.clock.now(), timeout) - this.clock.now());
      this.setTimer(key, left, () => this.on.timedOut(job, timeout));
    }
    const p = (async () => {
      let code: number;
      try {
        // One signal per wait (close() aborts them all): a shared one would collect a listener per job.
        const ac = new AbortController();
        this.waits.add(ac);
        try {
          code = await this.engine.wait(containerId, { signal: ac.signal });
        } finally {
          this.waits.delete(ac);
        }
      } catch (err) {
        if (this.closed) return;
        const state = await this.engine.inspect(containerId).catch(() => "unreachable" as const);
        if (state === "unreachable" || (state && state.status !== "exited" && state.status !== "dead")) {
          // The engine is unreachable or the container still runs: keep watching, do not guess.
          this.log.warn(
            { job: job.id, err: String(err) },
            "lost the wait on a running container; re-watching",
          );
          this.clearTimer(key);
          this.clock
            .setTimeout(() => {
              if (!this.closed) this.watch(job, containerId);
            }, 1000)
            .unref?.();
          return;
        }
        code = state?.exitCode ?? 255;
      }
      this.clearTimer(key);
      if (this.closed) return;
      await this.on.exited(job, containerId, code);
    })()
      .catch(unlessAbandoned)
      .finally(() => this.watchers.delete(key));
    this.watchers.set(key, p);
  }

  /** The attempt ended (or is being stopped for its timeout already): its timeout no longer applies. */
  cancelTimeout(job: JobRecord): void {
    this.clearTimer(attemptKey(job));
  }

  /** Clears every timeout (first step of closing: no stop may begin while closing). */
  closeTimers(): void {
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  /** Abandons every wait; containers keep running. */
  async close(): Promise<void> {
    this.closed = true;
    this.closeTimers();
    for (const ac of this.waits) ac.abort();
    await Promise.allSettled([...this.watchers.values()]);
  }

  private setTimer(key: string, ms: number, fn: () => void): void {
    this.clearTimer(key);
    const t = this.clock.setTimeout(() => {
      this.timers.delete(key);
      fn();
    }, ms);
    this.timers.set(key, t);
  }

  private clearTimer(key: string): void {
    const t = this.timers.get(key);
    if (t) this.clock.clearTimeout(t);
    this.timers.delete(key);
  }
}

function attemptKey(job: JobRecord): string {
  return `${job.id}#${job.attempts}`;
}
