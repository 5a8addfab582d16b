import type { NodeSpec } from "../core/node.js";
import type { Workload } from "../core/workload.js";
import { Rng } from "../scheduler/framework/rng.js";
import { type Policy, policyProfile } from "../scheduler/policies.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { WorkloadStats, type WorkloadStatsOptions } from "../scheduler/stats/workload-stats.js";
import { inflate, podGpuMilli } from "./inflate.js";
import { AllocationCurve } from "./metric.js";
import type { TracePod } from "./trace.js";
import { typicalPods } from "./typical.js";

export interface RunResult {
  readonly seed: number;
  readonly podsArrived: number;
  readonly podsPlaced: number;
  readonly allocatedPctAt100: number;
  readonly allocatedPctAt130: number;
  /** Scheduling time only (CSV parsing and workload tuning excluded). */
  readonly seconds: number;
  /** Statistics versions published during the run (online; 0 for oracle). */
  readonly statsVersions: number;
  /** value(k) for k = 0..130 (allocated % at arrived % = k). */
  readonly curve: number[];
}

/**
 * Where fgd and default get the workload's typical pod shapes: "oracle" = from the whole pod list
 * being replayed, before the run (the FGD paper's protocol, kept to reproduce it); "online" = learnt
 * from the pods offered so far (the server's behaviour; no look-ahead).
 */
export const STATS_MODES = ["oracle", "online"] as const;
export type StatsMode = (typeof STATS_MODES)[number];

export interface RunOptions {
  readonly tune?: number;
  /** Default "online". */
  readonly stats?: StatsMode;
  /** Options of the online statistics (half-life, publication threshold…). */
  readonly statsOptions?: WorkloadStatsOptions;
  /** Extra score-plugin args for fgd/default (see policyProfile). */
  readonly scoreArgs?: Readonly<Record<string, unknown>>;
  /** Called every `progressEvery` pods with (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly progressEvery?: number;
  /** Called after each pod is offered, with the tuned pod list and the scheduler's statistics (tests). */
  readonly onOffered?: (offered: number, tuned: readonly TracePod[], stats: WorkloadStats) => void;
}

/** Maps a trace pod to the scheduler's workload shape. A full-GPU pod is a whole-GPU request. */
export function traceWorkload(p: TracePod, id: number): Workload {
  const gpu =
    p.numGpu === 0
      ? ({ kind: "none" } as const)
      : p.gpuMilli >= 1000
        ? ({ kind: "whole", count: p.numGpu } as const)
        : ({ kind: "share", milli: p.gpuMilli, memoryMiB: 0 } as const);
  return {
    id: String(id),
    cpuMilli: p.cpuMilli,
    memoryMiB: p.memoryMiB,
    gpu,
    ...(p.gpuSpec.length ? { gpuModels: p.gpuSpec } : {}),
  };
}

/**
 * One run of the FGD experiment (FGD-PROTOCOL.md): tune the workload with the seed, order the
 * nodes by a random permutation from the same RNG, then offer each pod once, in order, to the same
 * Scheduler the server uses. Failed pods are not retried and there are no departures. With online
 * statistics (the default), the scheduler counts each pod into them as it is offered, before it is
 * placed, exactly as the server's scheduler does with each submitted job.
 */
export function runExperiment(
  nodes: readonly NodeSpec[],
  original: readonly TracePod[],
  policy: Policy,
  seed: number,
  opts: RunOptions = {},
): RunResult {
  const rng = new Rng(seed);
  const clusterMilli = nodes.reduce((s, n) => s + n.gpus.length * 1000, 0);
  const pods = inflate(original, clusterMilli, rng, opts.tune ?? 1.3);
  const perm = rng.perm(nodes.length);
  const ordered = nodes
    .map((n, i) => ({ n, k: perm[i]! }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.n);
  const oracle = (opts.stats ?? "online") === "oracle";
  const scheduler = new Scheduler(ordered, {
    profile: policyProfile(policy, {
      ...(oracle ? { typicalPods: typicalPods(original), demandPods: typicalPods(original, 1) } : {}),
      ...(opts.scoreArgs ? { scoreArgs: opts.scoreArgs } : {}),
    }),
    seed: rng.nextUint32(),
    stats: new WorkloadStats(opts.statsOptions),
  });
  const curve = new AllocationCurve(clusterMilli);
  const workloads = pods.map((p, i) => traceWorkload(p, i));
  let arrived = 0;
  let allocated = 0;
  let placed = 0;
  const every = opts.progressEvery ?? 500;
  const t0 = performance.now();
  for (let i = 0; i < workloads.length; i++) {
    const w = workloads[i]!;
    const d = scheduler.placeNow(w);
    arrived += podGpuMilli(pods[i]!);
    if (d.ok) {
      placed++;
      for (const g of d.allocation.gpus) allocated += g.milli;
    }
    curve.record(arrived, allocated);
    opts.onOffered?.(i + 1, pods, scheduler.stats);
    if (opts.onProgress && (i + 1) % every === 0) opts.onProgress(i + 1, workloads.length);
  }
  const seconds = (performance.now() - t0) / 1000;
  opts.onProgress?.(workloads.length, workloads.length);
  return {
    seed,
    podsArrived: workloads.length,
    podsPlaced: placed,
    allocatedPctAt100: curve.at(100),
    allocatedPctAt130: curve.at(130),
    seconds,
    statsVersions: oracle ? 0 : scheduler.stats.version,
    curve: curve.series(130),
  };
}
