import type { HostCapabilities } from "../core/admission.js";
import type { NodeSpec } from "../core/node.js";
import type { ContainerEngine } from "../engines/engine.js";
import { DEFAULT_ISOLATION_RUNTIMES, type IsolationRuntimes } from "../engines/isolation.js";
import type { CdiContainerEdits } from "../node/cdi.js";
import type { MpsControl } from "../node/mps-control.js";
import type { ProfileInput } from "../scheduler/framework/profile.js";
import { policyProfile } from "../scheduler/policies.js";
import type { JobRecord, Store } from "../store/index.js";
import { ArrayReconciler } from "./array-reconciler.js";
import { Archiver } from "./archiver.js";
import { type Clock, systemClock } from "../loop/clock.js";
import type { ContainerHost } from "./container-spec.js";
import { hostCapabilities } from "./host-capabilities.js";
import type { FaultPoint } from "./faults.js";
import { JobRunner } from "./job-runner.js";
import type { LogArchive } from "./log-archive.js";
import { type Logger, quietLogger } from "../loop/logger.js";
import { type RecoveryReport, recover } from "./recover.js";
import { ScheduleLoop } from "../loop/schedule-loop.js";
import { GangReconciler } from "./gang-reconciler.js";
import { GpuHealthMonitor, type GpuHealthOptions } from "./gpu-health-monitor.js";
import { type OveruseOptions, OveruseWatch } from "./overuse-watch.js";
import { ServiceReconciler } from "./service-reconciler.js";
import { SliceUpkeep } from "./slice-upkeep.js";
import { DEFAULT_WINDOW, StoreCluster } from "./store-cluster.js";

/**
 * The in-process node agent of `gpupool up`, wired from its parts: the scheduling loop over the
 * store's cluster port, and the job runner that carries its bindings out on this host's engine.
 * Options are resolved here once (defaults in one place) and frozen.
 */

export interface AgentOptions {
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
  readonly clock?: Clock;
  /** Periodic cycle, for backoffs and missed changes (default 1000 ms). */
  readonly resyncMs?: number;
  /** Pending jobs a cycle considers at most, besides each tenant's first 16 (default 64). */
  readonly window?: number;
  /** Least time between two cycles while changes keep coming, in ms (default 50). */
  readonly minCycleGapMs?: number;
  /** Where finished attempts' logs are kept; their containers are then removed. Absent: containers are kept. */
  readonly logs?: LogArchive;
  /** How long a finished container stays after its logs are archived, in ms (default 500). */
  readonly removeDelayMs?: number;
  /** Network of job containers (default "none"). */
  readonly network?: "none" | "default";
  /**
   * MPS control daemons: when given, a share of one real GPU is an MPS client of that GPU's daemon
   * (hard compute percentage and memory limit), started before its first client. Absent: shares are
   * time-sliced. Daemons are left running on close (running clients need them).
   */
  readonly mps?: MpsControl;
  /** The ports services' replicas are given ($PORT): [base, base + span) (default 20000-29999). */
  readonly replicaPorts?: { readonly base: number; readonly span: number };
  /** How often autoscaled services are looked at, in ms (default 500). */
  readonly serviceTickMs?: number;
  /** GPU health from the kernel log's XIDs (gpu-health-monitor.ts); absent: not watched. */
  readonly gpuHealth?: GpuHealthOptions;
  /** GPU memory of time-sliced shares, watched (overuse-watch.ts); default: warn, every 5 s. */
  readonly overuse?: OveruseOptions;
  /** Crash tests: fault injection at the job runner's named points (job-runner.ts FaultPoint). */
  readonly faults?: (point: FaultPoint) => void;
}

export class NodeAgent {
  /** What containers are made with on this host. */
  readonly host: ContainerHost;
  /** What this host can run at all, for admission (core/admission.ts). */
  readonly capabilities: HostCapabilities;
  readonly runner: JobRunner;
  readonly loop: ScheduleLoop;
  readonly cluster: StoreCluster;
  readonly archiver: Archiver;
  /** Makes batch arrays' task jobs (array-reconciler.ts). */
  readonly arrays: ArrayReconciler;
  /** Makes gangs' members and follows their state (gang-reconciler.ts). */
  readonly gangs: GangReconciler;
  /** Keeps services' replicas (service-reconciler.ts). */
  readonly services: ServiceReconciler;
  /** Watches GPU health (absent unless AgentOptions.gpuHealth). */
  readonly health: GpuHealthMonitor | undefined;
  /** Watches time-sliced shares' GPU memory. */
  readonly overuse: OveruseWatch;
  private readonly upkeep: SliceUpkeep;
  private readonly clock: Clock;

  constructor(private readonly o: AgentOptions) {
    const log = o.log ?? quietLogger;
    this.clock = o.clock ?? systemClock;
    this.host = Object.freeze({
      node: o.node,
      instanceId: o.instanceId,
      ...(o.cdi ? { cdi: o.cdi } : {}),
      isolation: o.isolation ?? DEFAULT_ISOLATION_RUNTIMES,
      ...(o.runtimes ? { runtimes: o.runtimes } : {}),
      network: o.network ?? "none",
    });
    this.capabilities = hostCapabilities(this.host);
    this.upkeep = new SliceUpkeep(o.cdi, o.mps, log);
    this.archiver = new Archiver(o.engine, o.logs, log, o.removeDelayMs ?? 500);
    let loop: ScheduleLoop | undefined;
    this.runner = new JobRunner({
      store: o.store,
      engine: o.engine,
      host: this.host,
      upkeep: this.upkeep,
      archiver: this.archiver,
      ...(o.mps ? { mps: o.mps } : {}),
      clock: this.clock,
      log,
      onRetryDue: (at) => loop?.wakeAt(at),
      ...(o.faults ? { faults: o.faults } : {}),
    });
    this.cluster = new StoreCluster(o.store, o.node, this.runner, log, o.window ?? DEFAULT_WINDOW);
    loop = new ScheduleLoop({
      port: this.cluster,
      profile: o.profile ?? policyProfile("default"),
      clock: this.clock,
      log,
      minCycleGapMs: o.minCycleGapMs ?? 50,
      resyncMs: o.resyncMs ?? 1000,
    });
    this.loop = loop;
    this.arrays = new ArrayReconciler(o.store, log);
    this.gangs = new GangReconciler(o.store, log);
    const cluster = this.cluster;
    this.health = o.gpuHealth
      ? new GpuHealthMonitor(o.gpuHealth, o.node, o.store, this.clock, log, () => cluster.nodesChanged())
      : undefined;
    if (this.health) {
      const health = this.health;
      cluster.useHealth((i) => health.unhealthy(i));
    }
    this.overuse = new OveruseWatch(
      o.overuse ?? {},
      o.store,
      o.node,
      o.engine,
      this.clock,
      log,
      (jobId, reason) => this.runner.stop(jobId, "timeout", reason),
    );
    this.services = new ServiceReconciler({
      store: o.store,
      log,
      clock: this.clock,
      stop: (jobId, reason) => this.cancel(jobId, reason),
      // As `gpupool rm` does (server/jobs-service.ts remove): the container, then the archived logs.
      forget: async (job) => {
        await this.archiver.archived(job.id);
        if (job.containerId) await o.engine.remove(job.containerId).catch(() => {});
        await this.archiver.logs?.remove(job.id);
      },
      ...(o.serviceTickMs !== undefined ? { tickMs: o.serviceTickMs } : {}),
      ...(o.replicaPorts ? { replicaPorts: o.replicaPorts } : {}),
    });
  }

  /** Reconciles the store with the engine's containers after a restart (call before start). */
  recover(): Promise<RecoveryReport> {
    return recover({
      store: this.o.store,
      engine: this.o.engine,
      runner: this.runner,
      upkeep: this.upkeep,
      archiver: this.archiver,
      node: this.o.node,
      ...(this.o.mps ? { mps: this.o.mps } : {}),
      instanceId: this.o.instanceId,
      clock: this.clock,
    });
  }

  /** Starts scheduling and the workloads' reconcilers (after recover). */
  start(): void {
    this.arrays.start();
    this.gangs.start();
    this.health?.start();
    this.overuse.start();
    this.services.start();
    this.loop.start();
  }

  /** A user's stop: a pending job is cancelled at once, a placed one stopped gracefully. */
  cancel(jobId: string, reason: string, graceSeconds?: number): Promise<void> {
    return this.runner.stop(jobId, "cancel", reason, graceSeconds);
  }

  /** Resolves once the logs of a job's just-finished attempt are archived. */
  archived(jobId: string): Promise<void> {
    return this.archiver.archived(jobId);
  }

  /** Why GPU `index` takes no new work; undefined while healthy (or not watched). */
  gpuUnhealthy(index: number): string | undefined {
    return this.health?.unhealthy(index);
  }

  /** Why a pending job waits, as the scheduler last said (undefined: the store's reason stands). */
  reasonFor(job: JobRecord): string | undefined {
    return this.cluster.reasonFor(job);
  }

  /** Resolves when no cycle, launch, stop or archive is in flight (tests). */
  async settle(): Promise<void> {
    await this.loop.idle();
    await this.services.settle();
    await this.runner.settle();
    await this.archiver.settle();
  }

  /** Stops cycles and watches; containers keep running and are re-adopted by the next start. */
  async close(opts: { removeCdi?: boolean } = {}): Promise<void> {
    this.arrays.close();
    this.gangs.close();
    this.health?.close();
    this.overuse.close();
    this.services.close();
    await this.loop.close();
    await this.runner.close();
    await this.archiver.close();
    if (opts.removeCdi) this.upkeep.removeSpec();
  }
}
