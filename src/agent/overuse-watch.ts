import type { NodeSpec } from "../core/node.js";
import type { ContainerEngine } from "../engines/engine.js";
import {
  type AttributedApp,
  type OveruseEvent,
  OveruseMonitor,
  type TimesliceWatch,
} from "../node/overuse.js";
import type { OverusePolicy } from "../node/slice.js";
import type { Store } from "../store/index.js";
import type { Clock, Timer } from "../loop/clock.js";
import type { Logger } from "../loop/logger.js";
import { SimulatedTelemetry } from "./simulated-telemetry.js";
import { sliceFor } from "../node/slice-for.js";

/**
 * GPU memory of time-sliced shares, watched: every interval, each Running job whose slice is a
 * time-sliced share with a memory budget is compared with what its container uses (nvidia-smi's
 * compute apps on real GPUs, SimulatedTelemetry on simulated ones), through node/overuse.ts. Going
 * over is an event on the job (`GpuMemoryOveruse`, once per excursion under `warn`), and under
 * `kill` the job is stopped and ends Failed with the reason. The last sample per job is kept for
 * /metrics.
 */

export interface OveruseOptions {
  /** What to do with a share over its GPU memory: warn (an event) or kill (stop it). Default warn. */
  readonly action?: OverusePolicy;
  /** How often, ms (default 5000). */
  readonly intervalMs?: number;
  /** Compute apps of real GPUs (node/overuse.ts smiSampler); absent: real GPUs are not sampled. */
  readonly sampleReal?: () => Promise<readonly AttributedApp[]>;
}

export interface JobGpuMemory {
  readonly usedMiB: number;
  readonly limitMiB: number;
  readonly source: "simulated" | "nvidia-smi";
}

export class OveruseWatch {
  private readonly simulated: SimulatedTelemetry;
  private readonly monitor: OveruseMonitor;
  private readonly byContainer = new Map<string, string>();
  private lastSample = new Map<string, JobGpuMemory>();
  private apps: readonly AttributedApp[] = [];
  private timer: Timer | undefined;
  private closed = false;
  private counts = { warned: 0, killed: 0, "kill-failed": 0 };

  constructor(
    private readonly o: OveruseOptions,
    private readonly store: Store,
    private readonly node: NodeSpec,
    engine: ContainerEngine,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Stops a job over its memory (the runner's stop; the job ends Failed). */
    private readonly stopJob: (jobId: string, reason: string) => Promise<void>,
  ) {
    this.simulated = new SimulatedTelemetry(engine, log);
    this.monitor = new OveruseMonitor({
      // tick() samples once and keeps it here, for the monitor and for usage().
      sample: async () => this.apps,
      killContainer: async (containerId) => {
        const jobId = this.byContainer.get(containerId);
        if (jobId) await this.stopJob(jobId, this.reasonOf(jobId));
      },
      record: (e) => this.record(e),
      now: () => new Date(this.clock.now()),
    });
  }

  start(): void {
    this.schedule();
  }

  /** GPU memory a running job used at the last sample (undefined: not a watched share, or no report yet). */
  usage(jobId: string): JobGpuMemory | undefined {
    return this.lastSample.get(jobId);
  }

  /** Overuse actions taken since start, by action. */
  actions(): Readonly<Record<"warned" | "killed" | "kill-failed", number>> {
    return this.counts;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      void this.tick()
        .catch((err: unknown) => this.log.error({ err }, "GPU memory watch failed"))
        .finally(() => this.schedule());
    }, this.o.intervalMs ?? 5000);
    this.timer.unref?.();
  }

  /** One check: the watched shares, a sample, the monitor's verdicts. */
  async tick(): Promise<OveruseEvent[]> {
    const watches: TimesliceWatch[] = [];
    const simulatedContainers = new Set<string>();
    this.byContainer.clear();
    for (const j of this.store.jobs.list({ states: ["Running"] })) {
      if (!j.allocation || !j.containerId) continue;
      const slice = sliceFor(j.id, j.allocation, this.node);
      // A share without a GPU-memory budget cannot go over one: nothing to watch (or to follow).
      if (slice?.kind !== "timeslice" || slice.memoryLimitMiB <= 0) continue;
      this.byContainer.set(j.containerId, j.id);
      watches.push({
        sliceId: j.id,
        containerId: j.containerId,
        gpuUuid: slice.gpu.uuid,
        memoryLimitMiB: slice.memoryLimitMiB,
        policy: this.o.action ?? "warn",
      });
      if (slice.gpu.simulated) {
        simulatedContainers.add(j.containerId);
        this.simulated.track(j.containerId, slice.gpu.uuid);
      }
    }
    this.simulated.retain(simulatedContainers);
    const real = this.o.sampleReal ? await this.o.sampleReal().catch(() => []) : [];
    const apps = [...real, ...this.simulated.sample()];
    this.apps = apps;
    const next = new Map<string, JobGpuMemory>();
    for (const w of watches) {
      const mine = apps.filter((a) => a.containerId === w.containerId && a.gpuUuid === w.gpuUuid);
      if (mine.length === 0) continue;
      next.set(w.sliceId, {
        usedMiB: mine.reduce((s, a) => s + (a.usedMemoryMiB ?? 0), 0),
        limitMiB: w.memoryLimitMiB,
        source: simulatedContainers.has(w.containerId) ? "simulated" : "nvidia-smi",
      });
    }
    this.lastSample = next;
    return this.monitor.tick(watches);
  }

  private reasonOf(jobId: string): string {
    const u = this.lastSample.get(jobId);
    return u
      ? `GPU memory ${u.usedMiB} MiB over its ${u.limitMiB} MiB limit${u.source === "simulated" ? " (simulated telemetry)" : ""}: stopped (overuse action kill)`
      : "GPU memory over its limit: stopped (overuse action kill)";
  }

  private record(e: OveruseEvent): void {
    this.counts[e.action]++;
    const jobId = this.byContainer.get(e.containerId) ?? e.sliceId;
    const simulated = this.lastSample.get(jobId)?.source === "simulated" ? " (simulated telemetry)" : "";
    const what =
      e.action === "warned"
        ? "over its GPU memory limit (action warn: it keeps running)"
        : e.action === "killed"
          ? "over its GPU memory limit: stopped (action kill)"
          : `over its GPU memory limit: the stop failed (${e.error})`;
    this.store.jobs.note(
      jobId,
      "GpuMemoryOveruse",
      `uses ${e.usedMiB} MiB of GPU memory, ${what}, limit ${e.limitMiB} MiB${simulated}`,
    );
    this.log.warn({ job: jobId, used: e.usedMiB, limit: e.limitMiB, action: e.action }, "GPU memory overuse");
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.simulated.close();
  }
}
