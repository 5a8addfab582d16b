import type { Workload } from "../core/workload.js";
import { type Held, runCycle } from "../scheduler/actions/index.js";
import type { ProfileInput } from "../scheduler/framework/profile.js";
import type { Clock, Timer } from "./clock.js";
import type { ClusterChange, ClusterPort } from "./cluster-port.js";
import type { Logger } from "./logger.js";
import { ScheduleCache } from "./schedule-cache.js";

/**
 * The scheduling loop (KAI-Scheduler's runOnce over kube-scheduler's cache): it follows the cluster
 * port's changes, keeps one ScheduleCache alive, and runs a cycle whenever something changed, at
 * most one every minCycleGapMs while changes keep coming (and every resyncMs regardless, for
 * backoffs). A cycle works on a what-if statement and then binds what fits as the cluster stands.
 *
 * No stalls: a stop in flight blocks only the capacity it frees. Placements that need running work
 * evicted first (preemption, reclaim) wait in a "wave" for exactly those victims, whose capacity
 * stays held until the last one is gone; then the next cycle (at once) binds the preemptors — KAI
 * calls this pipelining. Everything else keeps scheduling meanwhile.
 */

export interface LoopOptions {
  readonly port: ClusterPort;
  readonly profile: ProfileInput;
  readonly clock: Clock;
  readonly log: Logger;
  /** Least time between two cycles while changes keep coming, in ms (default 50). */
  readonly minCycleGapMs?: number;
  /** Periodic cycle, for backoffs and missed changes, in ms (default 1000). */
  readonly resyncMs?: number;
  /**
   * The gap between cycles is at least this many times the last cycle's length (default 3: the loop
   * takes at most about a quarter of an event loop it shares with an API server). A process that
   * only schedules (the Kubernetes scheduler) sets 0.
   */
  readonly gapFactor?: number;
}

/** Preemptors waiting for their victims to be gone. */
interface Wave {
  readonly victims: Set<string>;
  readonly gone: Set<string>;
  readonly waiters: ReadonlySet<string>;
}

export class ScheduleLoop {
  private cache: ScheduleCache | undefined;
  private held: Held | null = null;
  private readonly waves: Wave[] = [];
  private readonly cycleListeners: ((seconds: number, bound: number) => void)[] = [];
  private unsubscribe: () => void = () => {};
  private resync: Timer | undefined;
  private wake: { readonly at: number; readonly timer: Timer } | undefined;
  private running: Promise<void> | null = null;
  private dirty = false;
  /** Ends the wait before the next cycle early (close). */
  private wakeWait: (() => void) | undefined;
  private closed = false;
  private lastCycleMs = 0;
  private lastCycleEnd = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: LoopOptions) {}

  /** Reads the cluster, follows its changes and runs the first cycle. Call after recovery. */
  start(): void {
    const port = this.o.port;
    this.unsubscribe = port.changes((c) => this.onChange(c));
    const cache = new ScheduleCache(port.nodes(), this.o.profile);
    for (const p of port.placed()) cache.add(p.workload, p.allocation);
    this.cache = cache;
    const every = this.o.resyncMs ?? 1000;
    const tick = () => {
      this.resync = this.o.clock.setTimeout(tick, every);
      this.resync.unref?.();
      this.kick();
    };
    this.resync = this.o.clock.setTimeout(tick, every);
    this.resync.unref?.();
    this.kick();
  }

  /** Calls `listener` after each cycle that had pending work, with its time and the work it bound (metrics). */
  onCycle(listener: (seconds: number, bound: number) => void): void {
    this.cycleListeners.push(listener);
  }

  /** Asks for a cycle at `at` (ms since the epoch), e.g. when a backoff ends. */
  wakeAt(at: number): void {
    const clock = this.o.clock;
    if (this.wake && this.wake.at > clock.now() && this.wake.at <= at) return; // an earlier wake-up comes first
    if (this.wake) clock.clearTimeout(this.wake.timer);
    const timer = clock.setTimeout(
      () => {
        this.wake = undefined;
        this.kick();
      },
      Math.max(0, at - clock.now()) + 5,
    );
    timer.unref?.();
    this.wake = { at, timer };
  }

  private onChange(c: ClusterChange): void {
    const cache = this.cache;
    if (!cache || this.closed) return;
    if (c.kind === "nodes") cache.setNodes(this.o.port.nodes());
    if (c.kind === "released") this.released(cache, c.id);
    this.kick();
  }

  /** Work gave up its placement: free it, unless it is a victim whose wave still waits for others. */
  private released(cache: ScheduleCache, id: string): void {
    let inWave = false;
    for (const w of this.waves) {
      if (!w.victims.has(id)) continue;
      inWave = true;
      w.gone.add(id);
    }
    if (!inWave) {
      cache.remove(id);
      return;
    }
    for (let i = this.waves.length - 1; i >= 0; i--) {
      const w = this.waves[i]!;
      if (w.gone.size < w.victims.size) continue;
      this.waves.splice(i, 1);
      for (const v of w.victims) if (!this.waves.some((o) => o.victims.has(v))) cache.remove(v);
    }
  }

  /** Asks for a cycle soon; cycles never overlap. */
  kick(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.running) return;
    this.running = (async () => {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        // Changes share one cycle every gap, counted from the end of the last cycle that had pending
        // work (an idle cycle does not delay the next job). The gap grows with the cycle's cost, so
        // scheduling takes at most about a quarter of the event loop.
        const clock = this.o.clock;
        const gap = Math.max(this.o.minCycleGapMs ?? 50, (this.o.gapFactor ?? 3) * this.lastCycleMs);
        const wait = this.lastCycleEnd + gap - clock.now();
        await new Promise<void>((r) => {
          this.wakeWait = r;
          if (wait <= 0) setImmediate(r);
          else clock.setTimeout(r, wait);
        });
        this.wakeWait = undefined;
        if (this.closed) break;
        const t0 = performance.now();
        const c0 = clock.now();
        let bound: number | false = 0;
        try {
          bound = this.cycle();
        } catch (err) {
          this.o.log.error({ err }, "scheduling cycle failed");
        }
        if (bound !== false) {
          // A cycle that bound work may have left more behind its window: go again (after the gap).
          if (bound > 0) this.dirty = true;
          this.lastCycleEnd = clock.now();
          this.lastCycleMs = this.lastCycleEnd - c0;
          const seconds = (performance.now() - t0) / 1000;
          for (const l of this.cycleListeners) l(seconds, bound);
        }
      }
    })().finally(() => {
      this.running = null;
    });
  }

  /** One cycle: the number of workloads it bound, or false when nothing was pending. */
  cycle(): number | false {
    const cache = this.cache;
    if (!cache) return false;
    const port = this.o.port;
    const waitingOnVictims = new Map<string, string>();
    const pending: Workload[] = [];
    for (const w of port.pending(this.o.clock.now())) {
      const wave = this.waves.find((v) => v.waiters.has(w.id));
      if (!wave) pending.push(w);
      else
        waitingOnVictims.set(
          w.id,
          `waiting for preempted jobs to free their slices (${wave.victims.size - wave.gone.size} of ${wave.victims.size} still stopping)`,
        );
    }
    if (pending.length === 0) {
      this.held = null;
      if (waitingOnVictims.size > 0) port.noteReasons(waitingOnVictims);
      return false;
    }
    const scheduler = cache.scheduler;
    const stmt = scheduler.statement();
    const result = runCycle(
      scheduler,
      { pending, queues: port.queues(), ...(this.held ? { held: this.held } : {}) },
      stmt,
    );
    stmt.rollback();
    this.held = result.held;
    const byId = new Map(pending.map((w) => [w.id, w]));
    // What fits with every running workload in place binds now; the rest waits for its victims.
    const now = result.bind.filter((a) => !result.afterEvictions.has(a.workloadId));
    for (const a of now) cache.assume(byId.get(a.workloadId)!, a);
    const bound = new Set(now.length > 0 ? port.bind(now) : []);
    for (const a of now) if (!bound.has(a.workloadId)) cache.forget(a.workloadId);
    if (result.evict.length > 0) {
      const victims = new Set(result.evict.map((e) => e.workloadId));
      this.waves.push({ victims, gone: new Set(), waiters: result.afterEvictions });
      for (const e of result.evict) port.evict(e);
      for (const id of result.afterEvictions)
        waitingOnVictims.set(id, "waiting for preempted jobs to free their slices");
    }
    port.noteReasons(new Map([...result.pending, ...waitingOnVictims]));
    return bound.size;
  }

  /** Resolves when no cycle is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    if (this.resync) this.o.clock.clearTimeout(this.resync);
    if (this.wake) this.o.clock.clearTimeout(this.wake.timer);
    this.wakeWait?.();
    await this.running;
  }
}
