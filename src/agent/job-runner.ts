import { isGpupoolError } from "../core/errors.js";
import { type JobRecord, PLACED_STATES } from "../store/index.js";
import { AttemptWatch } from "./attempt-watch.js";
import { containerSpec } from "./container-spec.js";
import { Abandoned, type FaultPoint, unlessAbandoned } from "./faults.js";
import { gangFailureStops } from "./gang-repair.js";
import { afterExit, billedMs, retryAfterFailure, type StopIntent, type StopKind } from "./lifecycle.js";
import { forGang, recordEnd, recordStopIntent, repairGang, stopIntent } from "./record-end.js";
import type { RunnerOptions } from "./runner-options.js";
import { sliceFor } from "../node/slice-for.js";

/**
 * Runs the attempts of placed jobs on one host's container engine: launch (slice, MPS daemon, CDI
 * spec, create, start), watch (exit and timeout), stop (SIGTERM, grace, SIGKILL) and the record of
 * each attempt's end, decided by lifecycle.ts and written by record-end.ts.
 *
 * Contracts:
 * - Every watch, stop and finish is keyed by the attempt: an observer of an older attempt cannot
 *   finish a newer one (the store write is a compare-and-set on the attempt).
 * - A stop records its intent before signalling, so a restart mid-stop finishes it the same way.
 * - close() leaves containers running; the next start re-adopts them (recover.ts).
 */

export class JobRunner {
  /** Set once a fault point crashed this runner: it does nothing more (crash tests). */
  private crashed = false;
  private readonly launching = new Map<string, Promise<void>>();
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly watcher: AttemptWatch;
  private closed = false;
  /** Resolves at close(): what waits for a stop stops waiting (the next start finishes the stop). */
  private readonly closing: Promise<void>;
  private markClosed: () => void = () => {};

  constructor(private readonly o: RunnerOptions) {
    this.closing = new Promise((r) => {
      this.markClosed = r;
    });
    this.watcher = new AttemptWatch(o.engine, o.clock, o.log, {
      exited: (job, containerId, code) => this.finish(job, containerId, code),
      timedOut: (job, seconds) => void this.stop(job.id, "timeout", `timed out after ${seconds}s`),
    });
  }

  /**
   * Launches the current attempt of a job the loop bound (state Starting). After close() it does
   * nothing: a bind's launches start one per event-loop turn and may come due after close (the store
   * may be closed by then); the next start finds the attempt without a container and requeues it.
   */
  launch(jobId: string): Promise<void> {
    if (this.crashed || this.closed) return Promise.resolve();
    const p = this.doLaunch(jobId)
      .catch(unlessAbandoned)
      .finally(() => this.launching.delete(jobId));
    this.launching.set(jobId, p);
    return p;
  }

  private async doLaunch(jobId: string): Promise<void> {
    const { store, engine, host, upkeep } = this.o;
    const job = store.jobs.get(jobId);
    // Stopped and deleted (`rm -f`, an array's rm) between its bind and this turn: nothing to launch.
    if (!job) return;
    let containerId: string | undefined;
    try {
      const slice = job.allocation ? sliceFor(jobId, job.allocation, host.node, this.o.mps) : undefined;
      // An MPS client needs its GPU's daemon; a failure (GP_MPS_FAILED) fails this attempt below.
      if (slice?.kind === "mps") await upkeep.mpsReady(slice.gpu.uuid);
      if (slice) upkeep.add(jobId, slice);
      const spec = containerSpec(job, slice, host);
      try {
        containerId = await engine.create(spec);
      } catch (err) {
        // Pull only when the image is missing: the common case costs no extra round trip.
        if (!isGpupoolError(err) || err.code !== "GP_IMAGE_NOT_FOUND") throw err;
        await engine.ensureImage(spec.image, { pull: true });
        containerId = await engine.create(spec);
      }
      this.fault("launch:created");
      await engine.start(containerId);
      this.fault("launch:started");
      // The container is found by its labels after a crash, so it is recorded with the start, in one commit.
      const started = containerId;
      // The container runs: a full disk delays the record (and the watch), it does not undo the start.
      const running = await this.persisted(jobId, "its start", () =>
        store.jobs.transition(jobId, "Running", {
          from: "Starting",
          attempt: job.attempts,
          containerId: started,
          reason: "container started",
        }),
      );
      if (running) this.watch(running, started);
    } catch (err) {
      if (err instanceof Abandoned) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      this.o.log.warn({ job: jobId, err: msg }, "job failed to start");
      if (containerId) await engine.remove(containerId).catch(() => {});
      await this.failStart(job, `could not start: ${isGpupoolError(err) ? `${err.code}: ` : ""}${msg}`);
    }
  }

  /** Records an attempt that never ran as Failed (retried under OnFailure); nothing when it moved on. */
  private async failStart(job: JobRecord, reason: string): Promise<void> {
    const now = this.o.clock.now();
    const retry = retryAfterFailure(job.spec, job.attempts, now);
    // recordEnd's compare-and-set on the attempt leaves a job that moved on (e.g. stopped) as it is.
    const next = await this.persisted(job.id, "its failed start", () => {
      const n = forGang(
        this.o.store,
        job,
        retry ? { to: "Failed", reason, retry } : { to: "Failed", reason },
        now,
      );
      return recordEnd(this.o.store, job, n, { billedMs: 0 }) ? n : null;
    });
    if (next) this.ended(job, next.to === "Failed" ? next.retry?.notBefore : undefined, reason);
  }

  /**
   * Runs a store write; while the data directory's disk is full (GP_STORE_FULL: nothing was
   * written) tries it again, 1 s apart doubling to 10 s, until it goes through. Undefined when the
   * runner closed first (the next start's recovery reconciles the job with its container).
   */
  private async persisted<T>(jobId: string, what: string, write: () => T): Promise<T | undefined> {
    for (let delay = 1000; ; delay = Math.min(delay * 2, 10_000)) {
      try {
        return write();
      } catch (err) {
        if (!isGpupoolError(err) || err.code !== "GP_STORE_FULL") throw err;
        this.o.log.warn(
          { job: jobId, err: err.message },
          `the store is full: recording ${what} again in ${delay} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = this.o.clock.setTimeout(resolve, delay);
        t.unref?.();
      });
      if (this.closed || this.crashed) return undefined;
    }
  }

  /** Follows a running attempt's container until it exits, and enforces the job's timeout from its real start. */
  watch(job: JobRecord, containerId: string): void {
    this.watcher.watch(job, containerId);
  }

  /**
   * Records an attempt's exit (the engine's code and times; its stop intent if one was recorded):
   * Succeeded, Failed (maybe retried), Cancelled, or Preempted and requeued. A no-op unless `job`'s
   * attempt is still the current one.
   */
  async finish(job: JobRecord, containerId: string, code: number): Promise<void> {
    if (this.crashed || this.closed) return;
    const { store, engine, clock } = this.o;
    const state = await engine.inspect(containerId).catch(() => undefined);
    const stop = stopIntent(store, job.id);
    const endedAt = state?.finishedAt?.getTime() ?? clock.now();
    const startedAt = job.startedAt ?? state?.startedAt?.getTime() ?? null;
    const exit = afterExit({
      code,
      ...(state?.oomKilled ? { oomKilled: true } : {}),
      ...(stop ? { stop } : {}),
      attempts: job.attempts,
      spec: job.spec,
      endedAt,
    });
    const next = stop?.kind === "gang" ? exit : forGang(this.o.store, job, exit, endedAt);
    this.fault("finish:before-record");
    const after = await this.persisted(job.id, "its end", () =>
      recordEnd(store, job, next, {
        exitCode: code,
        billedMs: billedMs(startedAt, endedAt),
        containerId,
        ...(state?.startedAt ? { startedAt: state.startedAt.getTime() } : {}),
        ...(state?.finishedAt ? { finishedAt: endedAt } : {}),
      }),
    );
    if (!after) return;
    const failed = next.to === "Failed" && stop?.kind !== "gang" ? next.reason : undefined;
    this.ended(job, next.to === "Failed" ? next.retry?.notBefore : undefined, failed);
    // A preempted attempt is requeued at once: its container goes (its logs are not kept).
    if (next.to === "Preempted") await engine.remove(containerId).catch(() => {});
    else await this.o.archiver.archive(job.id, containerId);
  }

  /**
   * After an attempt's end: its slice goes, a retry wakes scheduling, and its gang never waits
   * forever. When the attempt `failed` (not stopped for its gang), its running siblings are stopped
   * as its gang's run has failed (gang-repair.ts gangFailureStops).
   */
  private ended(job: JobRecord, retryAt: number | undefined, failed?: string): void {
    this.watcher.cancelTimeout(job);
    this.o.upkeep.remove(job.id);
    if (retryAt !== undefined) this.o.onRetryDue?.(retryAt);
    if (!job.gang) return;
    if (failed)
      for (const s of gangFailureStops(job, failed, this.o.store.jobs.list({ gang: job.gang })))
        void this.stop(s.id, "gang", s.reason);
    repairGang(this.o.store, job.gang);
  }

  /**
   * Stops a job gracefully (SIGTERM, its grace period, SIGKILL) and records why: cancel → Cancelled,
   * preempt → Preempted and requeued (Succeeded if it exits 0 meanwhile), timeout → Failed. A gang
   * is preempted as a whole. Idempotent while in flight; a pending job is cancelled at once.
   */
  stop(jobId: string, kind: StopKind, reason: string, graceSeconds?: number): Promise<void> {
    const inFlight = this.stopping.get(jobId);
    if (inFlight) return inFlight;
    if (this.crashed) return Promise.resolve();
    const p = this.doStop(jobId, { kind, reason, ...(graceSeconds !== undefined ? { graceSeconds } : {}) })
      .catch(unlessAbandoned)
      .finally(() => this.stopping.delete(jobId));
    this.stopping.set(jobId, p);
    return Promise.race([p, this.closing]);
  }

  private async doStop(jobId: string, intent: StopIntent): Promise<void> {
    const { store } = this.o;
    await this.launching.get(jobId)?.catch(() => {});
    const job = store.jobs.get(jobId);
    if (!job) return;
    // A gang is preempted and cancelled as a whole.
    if ((intent.kind === "preempt" || intent.kind === "cancel") && job.gang) {
      const why = `${intent.reason} (gang ${job.gang})`;
      for (const m of store.jobs.list({ gang: job.gang, states: ["Scheduled", "Starting", "Running"] }))
        if (m.id !== jobId) void this.stop(m.id, intent.kind, why, intent.graceSeconds);
    }
    if (job.state === "Pending" || job.state === "Preempted") {
      if (intent.kind !== "cancel") return;
      store.jobs.transition(jobId, "Cancelled", { from: job.state, reason: intent.reason });
      if (job.gang) repairGang(store, job.gang);
      return;
    }
    if (!PLACED_STATES.has(job.state)) return;
    // Recorded first, so a restart in the middle of the stop still knows why the container exited.
    recordStopIntent(store, jobId, intent);
    this.fault("stop:intent-recorded");
    await this.carryOutStop(job, intent);
  }

  /** Carries on with a stop that was under way when gpupool died (its intent is already recorded). */
  resumeStop(job: JobRecord, intent: StopIntent): Promise<void> {
    const inFlight = this.stopping.get(job.id);
    if (inFlight) return inFlight;
    const p = this.carryOutStop(job, intent)
      .catch(unlessAbandoned)
      .finally(() => this.stopping.delete(job.id));
    this.stopping.set(job.id, p);
    return Promise.race([p, this.closing]);
  }

  /** Signals the attempt's container (if it has one) and records its end. */
  private async carryOutStop(job: JobRecord, intent: StopIntent): Promise<void> {
    const { engine } = this.o;
    let code: number | undefined;
    if (job.containerId) {
      const stopping = engine.stop(job.containerId, intent.graceSeconds ?? job.spec.stopGraceSeconds).then(
        () => undefined,
        (err: unknown) => err,
      );
      if (this.o.faults) {
        await new Promise((r) => setImmediate(r));
        this.fault("stop:signalled");
      }
      const failed = await stopping;
      // Closed meanwhile: the stop's intent is recorded, so the next start finishes it.
      if (this.closed) return;
      if (failed) this.o.log.warn({ job: job.id, err: String(failed) }, "stop failed");
      else code = (await engine.inspect(job.containerId).catch(() => undefined))?.exitCode ?? undefined;
    }
    if (job.containerId && code !== undefined) return this.finish(job, job.containerId, code);
    // No container (never created) or its exit is unknown: the stop decides alone.
    const next = afterExit({
      code: 143,
      stop: intent,
      attempts: job.attempts,
      spec: job.spec,
      endedAt: this.o.clock.now(),
    });
    const billed = billedMs(job.startedAt, this.o.clock.now());
    if (!recordEnd(this.o.store, job, next, { billedMs: billed })) return;
    const retryAt = next.to === "Failed" ? next.retry?.notBefore : undefined;
    this.ended(job, retryAt, next.to === "Failed" && intent.kind === "timeout" ? next.reason : undefined);
  }

  private fault(point: FaultPoint): void {
    if (this.crashed) throw new Abandoned(point);
    try {
      this.o.faults?.(point);
    } catch {
      this.crashed = true;
      throw new Abandoned(point);
    }
  }

  /** Resolves when no launch or stop is in flight (tests). */
  async settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await Promise.allSettled([...this.launching.values(), ...this.stopping.values()]);
      if (this.launching.size === 0 && this.stopping.size === 0) return;
    }
  }

  /** Stops watching; containers keep running and are re-adopted by the next start. */
  /**
   * Stops following jobs; containers keep running. Bounded: it waits for launches in flight (an
   * engine call or two), not for graceful stops, which may last a job's whole grace period (an
   * hour, say): their intents are recorded, so the next start carries them out (recover.ts).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.markClosed();
    this.watcher.closeTimers();
    await Promise.allSettled([...this.launching.values()]);
    await this.watcher.close();
  }
}
