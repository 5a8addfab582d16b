import type { NodeSpec } from "../core/node.js";
import type { QueueSpec } from "../core/queue.js";
import { isGpupoolError } from "../core/errors.js";
import type { ContainerEngine, ContainerSpec } from "../engines/engine.js";
import { jobLabels } from "../engines/labels.js";
import {
  DEFAULT_ISOLATION_RUNTIMES,
  type IsolationRuntimes,
  runtimeForIsolation,
} from "../engines/isolation.js";
import {
  type CdiContainerEdits,
  cdiDeviceName,
  cdiSpecForSlices,
  removeCdiSpec,
  sliceDeviceNodes,
  writeCdiSpec,
} from "../node/cdi.js";
import type { MpsControl } from "../node/mps-control.js";
import { isSimulatedSlice, type Slice } from "../node/slice.js";
import { sliceEnv } from "../node/slice-env.js";
import { type Held, runCycle } from "../scheduler/actions/index.js";
import type { ProfileInput } from "../scheduler/framework/profile.js";
import { policyProfile } from "../scheduler/policies.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { inTransaction, type JobRecord, PLACED_STATES, type Store, tenantQueueSpec } from "../store/index.js";
import { gangEnv, gangPort } from "./gang-env.js";
import type { LogArchive } from "./log-archive.js";
import { allocationGpuMilli, jobToWorkload, sliceFor, specOf } from "./workload.js";

/**
 * The in-process node agent of `gpupool up`: runs scheduling cycles over the store's jobs and carries
 * out their decisions on one host through a container engine.
 *
 * Contracts:
 * - Every job state change goes through the store (one transaction with its event).
 * - A preemptor is bound only after its victims have stopped: a cycle that evicts binds nothing, and
 *   no cycle runs while a stop is in flight.
 * - close() leaves containers running; the next start re-adopts them (recover.ts).
 */

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Pending jobs of each tenant a cycle considers at least (besides the global window). */
const PER_TENANT_WINDOW = 16;
/** Pending jobs a cycle considers by priority and submission order (ControllerOptions.window). */
const DEFAULT_WINDOW = 64;

const quiet: Logger = { info() {}, warn() {}, error() {} };

export interface ControllerOptions {
  readonly store: Store;
  readonly engine: ContainerEngine;
  readonly node: NodeSpec;
  /** Store instance id: label io.gpupool.instance on every container. */
  readonly instanceId: string;
  /**
   * Podman: the CDI kind and directory slices are written to, and edits every slice shares (on a real
   * GPU host the driver's libraries and hooks, see driver-edits.ts). Absent: GPUs as UUIDs (Docker).
   */
  readonly cdi?: { readonly kind: string; readonly dir: string; readonly common?: CdiContainerEdits };
  readonly isolation?: IsolationRuntimes;
  /** OCI runtimes the engine offers (EngineInfo.runtimes); unchecked when absent. */
  readonly runtimes?: readonly string[];
  readonly profile?: ProfileInput;
  readonly log?: Logger;
  readonly now?: () => number;
  /** Periodic cycle, for backoffs and missed kicks (default 1000 ms). */
  readonly resyncMs?: number;
  /** Pending jobs a cycle considers at most, besides each tenant's first 16 (default 64). */
  readonly window?: number;
  /** Least time between two cycles while kicks keep coming, in ms (default 50). */
  readonly minCycleGapMs?: number;
  /** Where finished attempts' logs are kept; their containers are then removed. Absent: containers are kept. */
  readonly logs?: LogArchive;
  /** How long a finished container stays after its logs are archived, in ms (default 500). */
  readonly removeDelayMs?: number;
  /** Network of job containers (default "none"). */
  readonly network?: "none" | "default";
  /**
   * MPS control daemons: when given, a share of one real GPU is an MPS client of that GPU's daemon
   * (hard compute percentage and memory limit), which launch starts first if it is not running.
   * Absent: shares are time-sliced. Daemons are left running on close (running clients need them).
   */
  readonly mps?: MpsControl;
}

export type StopKind = "cancel" | "preempt" | "timeout";

/** A pending reason without the amounts in it ("(uses 500, asks 1000)", counts), to tell real changes apart. */
function gist(reason: string): string {
  return reason.replace(/\([^)]*\)/g, "()").replace(/\d+/g, "#");
}

/**
 * The stop gpupool began for the job's current attempt and may not have finished recording (a
 * "stopping" note after the last transition), e.g. when it was killed mid-stop.
 */
export function stopIntent(store: Store, jobId: string): { kind: StopKind; reason: string } | undefined {
  const note = store.jobs.pendingStop(jobId);
  if (!note) return undefined;
  const colon = note.indexOf(": ");
  const kind = note.slice(0, colon) as StopKind;
  if (kind === "cancel" || kind === "preempt" || kind === "timeout")
    return { kind, reason: note.slice(colon + 2) };
  return undefined;
}

export class Controller {
  private readonly store: Store;
  private readonly engine: ContainerEngine;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly profile: ProfileInput;
  private readonly window: number;
  /** Why each pending job waits (the scheduler's reason), as last noted. */
  readonly reasons = new Map<string, string>();
  private readonly slices = new Map<string, Slice>();
  private readonly launching = new Map<string, Promise<void>>();
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly watchers = new Map<string, Promise<void>>();
  private readonly archiving = new Set<Promise<void>>();
  private readonly saving = new Map<string, Promise<boolean>>();
  /** The MPS daemon check in flight per GPU UUID: launches on one GPU wait for each other's. */
  private readonly mpsChecks = new Map<string, Promise<void>>();
  private onClose: () => void = () => {};
  private readonly closing = new Promise<void>((r) => {
    this.onClose = r;
  });
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waits = new Set<AbortController>();
  private held: Held | null = null;
  private readonly cache = new Map<string, { u: number; job: JobRecord }>();
  private lastCycleMs = 0;
  private lastCycleEnd = Number.NEGATIVE_INFINITY;
  private readonly cycleListeners: ((seconds: number, bound: number) => void)[] = [];
  /** When the last cycle read its window of pending jobs (see pendingReason). */
  private windowAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | null = null;
  private dirty = false;
  private resync: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly opts: ControllerOptions) {
    this.store = opts.store;
    this.engine = opts.engine;
    this.log = opts.log ?? quiet;
    this.now = opts.now ?? Date.now;
    this.profile = opts.profile ?? policyProfile("default");
    this.window = opts.window ?? DEFAULT_WINDOW;
  }

  /** Starts periodic cycles (call after recovery). */
  start(): void {
    this.resync = setInterval(() => this.kick(), this.opts.resyncMs ?? 1000);
    this.resync.unref();
    this.kick();
  }

  /** Asks for a cycle soon; cycles never overlap. */
  kick(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.running) return;
    this.running = (async () => {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        // Kicks (a burst of submissions, launches ending) share one cycle every minCycleGapMs, counted
        // from the end of the last cycle that had pending jobs, whether or not kicks kept coming in
        // between (an idle cycle does not delay the next job). The gap grows with the cycle's cost,
        // so scheduling takes at most about a quarter of the event loop.
        const gap = Math.max(this.opts.minCycleGapMs ?? 50, 3 * this.lastCycleMs);
        const wait = this.lastCycleEnd + gap - performance.now();
        await new Promise((r) => (wait <= 0 ? setImmediate(r) : setTimeout(r, wait)));
        if (this.closed) break;
        const t0 = performance.now();
        let bound: number | false = 0;
        try {
          bound = this.cycle();
        } catch (err) {
          this.log.error({ err }, "scheduling cycle failed");
        }
        if (bound !== false) {
          this.lastCycleEnd = performance.now();
          this.lastCycleMs = this.lastCycleEnd - t0;
          for (const l of this.cycleListeners) l(this.lastCycleMs / 1000, bound);
        }
      }
    })().finally(() => {
      this.running = null;
    });
  }

  /** Calls `listener` after each cycle that had pending jobs, with its time and the jobs it bound (metrics). */
  onCycle(listener: (seconds: number, bound: number) => void): void {
    this.cycleListeners.push(listener);
  }

  /** Resolves when no cycle, launch or stop is in flight (for tests). */
  async settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await Promise.all([
        this.running,
        ...this.launching.values(),
        ...this.stopping.values(),
        ...this.archiving,
      ]);
      if (!this.running && this.launching.size === 0 && this.stopping.size === 0) return;
    }
  }

  queues(): QueueSpec[] {
    return this.store.tenants.list().map((t) => tenantQueueSpec(t.name, t.quotas));
  }

  /**
   * The pending jobs a cycle considers: the first `window` by priority then submission order, each
   * tenant's first `perTenant` (so one tenant's backlog cannot hide another's jobs), and every member
   * of a gang any of those belongs to. Each is a LIMIT query on an index, so a cycle costs the same
   * with ten pending jobs or ten thousand. Records come from a cache keyed by id and update time.
   */
  private pendingWindow(): JobRecord[] {
    const now = this.now();
    const tenants = this.store.tenants.list();
    const rows = new Map(
      this.store.jobs
        .pendingHeads(now, {
          window: this.window,
          perTenant: PER_TENANT_WINDOW,
          tenants: tenants.map((t) => t.name),
        })
        .map((r) => [r.id, r]),
    );
    // Only what is considered now is cached or has a reason; the rest reads as queued (pendingReason).
    for (const id of this.cache.keys()) if (!rows.has(id)) this.cache.delete(id);
    for (const id of this.reasons.keys()) if (!rows.has(id)) this.reasons.delete(id);
    this.windowAt = now;
    // Tenants that have spent their GPU-second budget: their GPU jobs wait.
    const spent = new Map<string, string>();
    for (const t of tenants) {
      const budget = t.quotas.gpuSeconds;
      if (budget === undefined) continue;
      const used = this.store.usage.ofTenant(t.name).gpuSeconds;
      if (used >= budget)
        spent.set(
          t.name,
          `over quota: tenant ${t.name} used ${used.toFixed(1)} of its ${budget} GPU-seconds`,
        );
    }
    const out: JobRecord[] = [];
    for (const r of rows.values()) {
      let hit = this.cache.get(r.id);
      if (!hit || hit.u !== r.updatedAt) {
        const job = this.store.jobs.get(r.id);
        if (!job) continue;
        hit = { u: r.updatedAt, job };
        this.cache.set(r.id, hit);
      }
      const over = spent.get(r.tenant);
      if (over && specOf(hit.job).gpu.kind !== "none") {
        this.noteReasons([[r.id, over]]);
        continue;
      }
      out.push(hit.job);
    }
    return out;
  }

  /**
   * Why a job waits, as the API shows it: the scheduler's reason for the jobs a cycle considered;
   * for a pending job left out of the last cycle's window, that it is queued behind others; else
   * undefined (the store's reason stands).
   */
  pendingReason(job: JobRecord): string | undefined {
    if (job.state !== "Pending") return undefined;
    const r = this.reasons.get(job.id);
    if (r !== undefined) return r;
    if (job.updatedAt <= this.windowAt && (job.notBefore ?? 0) <= this.windowAt)
      return `queued: ${this.window} earlier or higher-priority jobs (and each tenant's first ${PER_TENANT_WINDOW}) are considered first`;
    return undefined;
  }

  /**
   * One scheduling cycle: the number of jobs it bound, or false when it had nothing to consider (no
   * pending job, or a stop in flight).
   */
  private cycle(): number | false {
    if (this.stopping.size > 0) return false;
    const pendingJobs = this.pendingWindow();
    if (pendingJobs.length === 0) {
      this.held = null;
      return false;
    }
    const placed = this.store.jobs.list({ states: ["Scheduled", "Starting", "Running"] });
    const scheduler = new Scheduler([this.opts.node], { profile: this.profile, seed: 1 });
    const stmt = scheduler.statement();
    for (const j of placed) if (j.allocation) stmt.allocate(jobToWorkload(j), j.allocation);
    stmt.commit();
    const result = runCycle(scheduler, {
      pending: pendingJobs.map(jobToWorkload),
      queues: this.queues(),
      ...(this.held ? { held: this.held } : {}),
    });
    this.held = result.held;
    if (result.evict.length > 0) {
      for (const e of result.evict)
        void this.stopJob(
          e.workloadId,
          "preempt",
          `${e.reason === "preempt" ? "preempted" : "reclaimed"} by ${e.by}`,
        );
      this.noteReasons([
        ...result.bind.map((a) => [a.workloadId, "waiting for preempted jobs to free their slices"] as const),
        ...result.pending,
      ]);
      return 0;
    }
    // All bindings of a cycle in one commit, each job placed and its attempt begun (→ Starting, a
    // savepoint per job); each launch then proceeds on its own. A restart before a launch created its
    // container finds the attempt without one and requeues the job (recover.ts).
    const bound: string[] = [];
    inTransaction(this.store.db, () => {
      for (const a of result.bind) {
        try {
          inTransaction(this.store.db, () => {
            this.store.jobs.transition(a.workloadId, "Scheduled", {
              from: "Pending",
              node: a.node,
              allocation: a,
              reason: `placed on ${a.node}${a.gpus.length ? ` GPU ${a.gpus.map((g) => g.index).join(",")}` : ""}`,
            });
            this.store.jobs.transition(a.workloadId, "Starting", { reason: "creating the container" });
          });
          bound.push(a.workloadId);
        } catch (err) {
          this.log.warn({ err, job: a.workloadId }, "could not bind");
        }
      }
    });
    // One launch starts per event-loop turn, so a cycle that binds many jobs does not hold up requests.
    let gate: Promise<unknown> = Promise.resolve();
    for (const id of bound) {
      this.reasons.delete(id);
      const turn = gate.then(() => new Promise((r) => setImmediate(r)));
      gate = turn;
      const p = turn.then(() => this.launch(id)).finally(() => this.launching.delete(id));
      this.launching.set(id, p);
    }
    this.noteReasons(result.pending);
    return bound.length;
  }

  /** Records why jobs wait, with an event when a job's reason changes (all in one transaction). */
  private noteReasons(reasons: Iterable<readonly [string, string]>): void {
    const changed: (readonly [string, string])[] = [];
    for (const [id, reason] of reasons) {
      const before = this.reasons.get(id);
      this.reasons.set(id, reason);
      // Amounts in use change all the time; only a different kind of reason is a new event.
      if (before === undefined || gist(before) !== gist(reason)) changed.push([id, reason]);
    }
    if (changed.length === 0) return;
    inTransaction(this.store.db, () => {
      for (const [id, reason] of changed) this.store.jobs.note(id, "pending", reason);
    });
  }

  private writeCdi(): void {
    const cdi = this.opts.cdi;
    if (!cdi) return;
    writeCdiSpec(cdiSpecForSlices([...this.slices.values()], cdi.kind, cdi.common), cdi.dir);
  }

  /** What the engine is asked to run for one attempt of a job. */
  containerSpec(job: JobRecord, slice: Slice | undefined): ContainerSpec {
    const spec = specOf(job);
    const env: Record<string, string> = {
      GPUPOOL_JOB_ID: job.id,
      GPUPOOL_JOB_NAME: job.name,
      GPUPOOL_TENANT: job.tenant,
      GPUPOOL_ATTEMPT: String(job.attempts),
    };
    if (job.gang && spec.rank !== undefined) {
      Object.assign(
        env,
        gangEnv({
          rank: spec.rank,
          worldSize: spec.replicas,
          masterAddr: "127.0.0.1",
          masterPort: spec.masterPort ?? gangPort(job.gang),
          gangId: job.gang,
        }),
      );
    }
    Object.assign(env, spec.env);
    // Docker has no CDI: the slice's env goes in directly (device nodes need a real NVIDIA runtime).
    // Last, so nothing a job sets (specs refuse these names anyway) can widen its devices.
    if (slice && !this.opts.cdi) Object.assign(env, sliceEnv(slice));
    else if (!slice) env.NVIDIA_VISIBLE_DEVICES = "void";
    const runtime = runtimeForIsolation(
      spec.isolation,
      this.opts.isolation ?? DEFAULT_ISOLATION_RUNTIMES,
      this.opts.runtimes,
    );
    const simulated = slice ? isSimulatedSlice(slice) : false;
    // MPS clients share memory with their GPU's daemon (host IPC) and reach it through its pipe
    // directory: the CDI device mounts that on Podman; Docker needs the bind here.
    const mps = slice?.kind === "mps" ? slice : undefined;
    // Without CDI (Docker), simulated GPUs' stand-in device nodes go in as plain device mappings.
    const standIns =
      slice && simulated && !this.opts.cdi
        ? sliceDeviceNodes(slice).flatMap((n) =>
            n.hostPath ? [{ hostPath: n.hostPath, containerPath: n.path }] : [],
          )
        : [];
    return {
      name: `gpupool-${job.id}-${job.attempts}`,
      image: spec.image,
      ...(spec.command ? { command: spec.command } : {}),
      env,
      labels: jobLabels(this.opts.instanceId, job.id, job.attempts, job.tenant),
      cpuMilli: spec.cpuMilli,
      memoryMiB: spec.memoryMiB,
      network: this.networkFor(job, spec.isolation),
      ...(runtime ? { runtime } : {}),
      stopGraceSeconds: spec.stopGraceSeconds,
      ...(standIns.length > 0 ? { devices: standIns } : {}),
      ...(mps ? { ipc: "host" as const } : {}),
      ...(mps && !this.opts.cdi
        ? { mounts: [{ hostPath: mps.pipeDirectory, containerPath: mps.pipeDirectory }] }
        : {}),
      ...(slice
        ? {
            gpus: {
              cdi: this.opts.cdi ? [cdiDeviceName(this.opts.cdi.kind, slice.id)] : [],
              // Simulated GPUs have no NVIDIA runtime to take a DeviceRequest: stand-in mappings instead (above).
              uuids:
                this.opts.cdi || simulated
                  ? []
                  : job.allocation!.gpus.map((g) => this.opts.node.gpus[g.index]?.uuid ?? ""),
            },
          }
        : {}),
    };
  }

  /**
   * Members of a multi-member gang share the host's network so they meet at MASTER_ADDR=127.0.0.1
   * (NCCL/torchrun/Horovod rendezvous); everything else gets the configured network (default none).
   * A sandboxed gang stays off the network: gVisor here runs only with network=none.
   */
  private networkFor(job: JobRecord, isolation: string): "none" | "default" | "host" {
    const spec = specOf(job);
    if (job.gang && spec.replicas > 1 && isolation !== "sandbox") return "host";
    return this.opts.network ?? "none";
  }

  private async launch(jobId: string): Promise<void> {
    const job = this.store.jobs.require(jobId);
    let containerId: string | undefined;
    try {
      const slice = job.allocation
        ? sliceFor(jobId, job.allocation, this.opts.node, this.opts.mps)
        : undefined;
      // An MPS client needs its GPU's daemon; a failure (GP_MPS_FAILED) fails this attempt below.
      if (slice?.kind === "mps") await this.mpsReady(slice.gpu.uuid);
      if (slice) {
        this.slices.set(jobId, slice);
        this.writeCdi();
      }
      const spec = this.containerSpec(job, slice);
      try {
        containerId = await this.engine.create(spec);
      } catch (err) {
        // Pull only when the image is missing: the common case costs no extra round trip.
        if (!isGpupoolError(err) || err.code !== "GP_IMAGE_NOT_FOUND") throw err;
        await this.engine.ensureImage(spec.image, { pull: true });
        containerId = await this.engine.create(spec);
      }
      await this.engine.start(containerId);
      // The container is found by its labels after a crash, so it is recorded with the start, in one commit.
      const started = containerId;
      inTransaction(this.store.db, () => {
        this.store.jobs.recordContainer(jobId, started);
        this.store.jobs.transition(jobId, "Running", {
          from: "Starting",
          containerId: started,
          reason: "container started",
        });
      });
      this.watch(jobId, containerId);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log.warn({ job: jobId, err: msg }, "job failed to start");
      if (containerId) await this.engine.remove(containerId).catch(() => {});
      const cur = this.store.jobs.get(jobId);
      if (cur && (cur.state === "Starting" || cur.state === "Scheduled")) {
        const failed = this.store.jobs.transition(jobId, "Failed", {
          reason: `could not start: ${isGpupoolError(err) ? `${err.code}: ` : ""}${msg}`,
        });
        this.release(jobId);
        this.retry(failed);
      }
      this.kick();
    }
  }

  /**
   * Makes sure the GPU's MPS control daemon runs (starting it, or restarting one that died). Checks
   * for one GPU run one after another, so two launches never both try to start its daemon.
   */
  private mpsReady(gpuUuid: string): Promise<void> {
    const mps = this.opts.mps;
    if (!mps) return Promise.resolve();
    const before = this.mpsChecks.get(gpuUuid) ?? Promise.resolve();
    const check = before
      .catch(() => {})
      .then(async () => {
        const outcome = await mps.ensure(gpuUuid);
        if (outcome !== "running") this.log.info({ gpu: gpuUuid, outcome }, "MPS control daemon");
      });
    this.mpsChecks.set(gpuUuid, check);
    const done = () => {
      if (this.mpsChecks.get(gpuUuid) === check) this.mpsChecks.delete(gpuUuid);
    };
    check.then(done, done);
    return check;
  }

  /** Follows a running container until it exits (and enforces the job's timeout). */
  watch(jobId: string, containerId: string): void {
    const job = this.store.jobs.require(jobId);
    const spec = specOf(job);
    if (spec.timeoutSeconds !== undefined) {
      const left = Math.max(0, (job.startedAt ?? this.now()) + spec.timeoutSeconds * 1000 - this.now());
      const t = setTimeout(() => {
        this.timers.delete(jobId);
        void this.stopJob(jobId, "timeout", `timed out after ${spec.timeoutSeconds}s`);
      }, left);
      this.timers.set(jobId, t);
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
        let state: Awaited<ReturnType<ContainerEngine["inspect"]>>;
        try {
          state = await this.engine.inspect(containerId);
        } catch {
          state = { status: "running" } as typeof state; // the engine is unreachable: keep watching, do not guess
        }
        if (state && state.status !== "exited" && state.status !== "dead") {
          this.log.warn(
            { job: jobId, err: String(err) },
            "lost the wait on a running container; re-watching",
          );
          this.clearTimer(jobId);
          setTimeout(() => {
            if (!this.closed) this.watch(jobId, containerId);
          }, 1000).unref();
          return;
        }
        code = state?.exitCode ?? 255;
      }
      this.clearTimer(jobId);
      if (this.closed || this.stopping.has(jobId)) return;
      await this.finish(jobId, containerId, code);
    })().finally(() => this.watchers.delete(jobId));
    this.watchers.set(jobId, p);
  }

  private clearTimer(jobId: string): void {
    const t = this.timers.get(jobId);
    if (t) clearTimeout(t);
    this.timers.delete(jobId);
  }

  /** Records a container's exit: Succeeded (0) or Failed (anything else), metered, maybe retried. */
  async finish(jobId: string, containerId: string, code: number): Promise<void> {
    const state = code === 0 ? undefined : await this.engine.inspect(containerId).catch(() => undefined);
    let job = this.store.jobs.get(jobId);
    if (!job || !PLACED_STATES.has(job.state)) return;
    if (job.state === "Starting")
      job = this.store.jobs.transition(jobId, "Running", { containerId, reason: "container found running" });
    const intent = stopIntent(this.store, jobId);
    if (intent) {
      await this.finishStop(job, intent.kind, intent.reason, code);
      return;
    }
    this.meter(job);
    const reason =
      code === 0 ? "exited 0" : state?.oomKilled ? `OOM-killed (exit ${code})` : `exit code ${code}`;
    const after = this.store.jobs.transition(jobId, code === 0 ? "Succeeded" : "Failed", {
      exitCode: code,
      reason,
    });
    this.release(jobId);
    if (code !== 0) this.retry(after);
    this.kick();
    await this.archive(jobId, containerId);
  }

  /**
   * Keeps a finished attempt's logs and then removes its container (when a log archive is
   * configured). The removal waits a moment, so a reader already attached to the container's log
   * stream gets to its end.
   */
  async archive(jobId: string, containerId: string): Promise<void> {
    const logs = this.opts.logs;
    if (!logs) return;
    const saved = logs.save(this.engine, jobId, containerId).then(
      () => true,
      (err) => {
        this.log.warn({ job: jobId, err: String(err) }, "could not archive the logs");
        return false;
      },
    );
    this.saving.set(jobId, saved);
    const p = (async () => {
      const ok = await saved;
      if (this.saving.get(jobId) === saved) this.saving.delete(jobId);
      if (!ok) return;
      if (!this.closed)
        await Promise.race([new Promise((r) => setTimeout(r, this.opts.removeDelayMs ?? 500)), this.closing]);
      // Closing: leave the container; the next start archives it again and removes it.
      if (!this.closed) await this.engine.remove(containerId).catch(() => {});
    })();
    this.archiving.add(p);
    await saved;
    void p.finally(() => this.archiving.delete(p));
  }

  /** Resolves once the logs of a job's just-finished attempt are in the archive (at once when none is being saved). */
  async archived(jobId: string): Promise<void> {
    await this.saving.get(jobId);
  }

  private meter(job: JobRecord): void {
    if (job.state !== "Running" || job.startedAt === null) return;
    const milli = allocationGpuMilli(job.allocation);
    const ms = Math.max(0, Math.round(this.now() - job.startedAt));
    if (milli > 0 && ms > 0) this.store.usage.add(job.id, milli, ms);
  }

  private release(jobId: string): void {
    this.clearTimer(jobId);
    if (this.slices.delete(jobId)) {
      try {
        this.writeCdi();
      } catch (err) {
        this.log.warn({ err: String(err) }, "could not rewrite the CDI spec");
      }
    }
  }

  /** Requeues a failed job under restart policy OnFailure, with exponential backoff. */
  retry(job: JobRecord): void {
    const spec = specOf(job);
    if (job.state !== "Failed" || spec.restartPolicy !== "OnFailure" || job.attempts > spec.backoffLimit)
      return;
    const delay = Math.min(300, spec.backoffSeconds * 2 ** Math.max(0, job.attempts - 1));
    const old = job.containerId;
    this.store.jobs.transition(job.id, "Pending", {
      from: "Failed",
      notBefore: this.now() + Math.round(delay * 1000),
      reason: `retry ${job.attempts}/${spec.backoffLimit} in ${delay}s (restart policy OnFailure)`,
    });
    // With a log archive, finish() archives the old attempt's logs and removes its container itself.
    if (old && !this.opts.logs) void this.engine.remove(old).catch(() => {});
    setTimeout(() => this.kick(), delay * 1000 + 5).unref();
  }

  /**
   * Stops a placed job gracefully (SIGTERM, its grace period, SIGKILL) and records why: cancel →
   * Cancelled, preempt → Preempted then requeued as Pending, timeout → Failed. A gang is preempted
   * as a whole. Idempotent while in flight.
   */
  stopJob(jobId: string, kind: StopKind, reason: string): Promise<void> {
    const inFlight = this.stopping.get(jobId);
    if (inFlight) return inFlight;
    const p = this.doStop(jobId, kind, reason).finally(() => {
      this.stopping.delete(jobId);
      this.kick();
    });
    this.stopping.set(jobId, p);
    return p;
  }

  private async doStop(jobId: string, kind: StopKind, reason: string): Promise<void> {
    await this.launching.get(jobId)?.catch(() => {});
    let job = this.store.jobs.get(jobId);
    if (!job) return;
    if (kind === "preempt" && job.gang) {
      for (const m of this.store.jobs.list({ gang: job.gang, states: ["Scheduled", "Starting", "Running"] }))
        if (m.id !== jobId) void this.stopJob(m.id, "preempt", `${reason} (gang ${job.gang})`);
    }
    if (job.state === "Pending") {
      if (kind === "cancel") this.store.jobs.transition(jobId, "Cancelled", { reason });
      return;
    }
    if (!PLACED_STATES.has(job.state)) return;
    const spec = specOf(job);
    let exitCode: number | undefined;
    // Recorded first, so a restart in the middle of the stop still knows why the container exited.
    this.store.jobs.note(jobId, "stopping", `${kind}: ${reason}`);
    if (job.containerId) {
      try {
        await this.engine.stop(job.containerId, spec.stopGraceSeconds);
        exitCode = (await this.engine.inspect(job.containerId))?.exitCode ?? undefined;
      } catch (err) {
        this.log.warn({ job: jobId, err: String(err) }, "stop failed");
      }
    }
    job = this.store.jobs.get(jobId);
    if (!job || !PLACED_STATES.has(job.state)) return;
    await this.finishStop(job, kind, reason, exitCode);
  }

  /** Records the end of a stopped job: Cancelled, Failed (timeout), or Preempted and requeued. */
  private async finishStop(
    job: JobRecord,
    kind: StopKind,
    reason: string,
    exitCode: number | undefined,
  ): Promise<void> {
    const jobId = job.id;
    this.meter(job);
    const code = exitCode === undefined ? {} : { exitCode };
    switch (kind) {
      case "cancel":
        this.store.jobs.transition(jobId, "Cancelled", { reason, ...code });
        if (job.containerId) await this.archive(jobId, job.containerId);
        break;
      case "timeout":
        this.store.jobs.transition(jobId, "Failed", { reason, ...code });
        if (job.containerId) await this.archive(jobId, job.containerId);
        break;
      case "preempt": {
        this.store.jobs.transition(jobId, "Preempted", {
          reason: exitCode === undefined ? reason : `${reason} (exit ${exitCode})`,
          ...code,
        });
        if (job.containerId) await this.engine.remove(job.containerId).catch(() => {});
        this.store.jobs.transition(jobId, "Pending", { from: "Preempted", reason: `requeued (${reason})` });
        break;
      }
    }
    this.release(jobId);
  }

  /** Registers the slice of a job found placed at start-up (recovery), so the CDI spec keeps it. */
  adoptSlice(job: JobRecord): void {
    if (!job.allocation) return;
    const slice = sliceFor(job.id, job.allocation, this.opts.node, this.opts.mps);
    if (slice) this.slices.set(job.id, slice);
  }

  /** Rewrites the CDI spec from the slices adopted so far. */
  syncCdi(): void {
    this.writeCdi();
  }

  /** Stops cycles and watches; containers keep running and are re-adopted by the next start. */
  async close(opts: { removeCdi?: boolean } = {}): Promise<void> {
    this.closed = true;
    this.onClose();
    if (this.resync) clearInterval(this.resync);
    for (const t of this.timers.values()) clearTimeout(t);
    await this.running;
    await Promise.allSettled([...this.launching.values(), ...this.stopping.values()]);
    for (const ac of this.waits) ac.abort();
    await Promise.allSettled([...this.watchers.values()]);
    await Promise.allSettled([...this.archiving]);
    if (opts.removeCdi && this.opts.cdi) removeCdiSpec(this.opts.cdi.kind, this.opts.cdi.dir);
  }
}
