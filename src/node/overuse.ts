import { queryComputeApps } from "./discover.js";
import { containersOfPids, readProcCgroup } from "./proc-cgroup.js";
import type { ComputeApp } from "./smi-csv.js";
import type { SmiRunner } from "./smi-runner.js";
import type { OverusePolicy } from "./slice.js";

/**
 * Time-sliced shares have no hardware fence, so the telemetry loop compares each container's GPU
 * memory (summed over its processes on the slice's GPU, from `--query-compute-apps`) with its slice
 * and applies the slice's policy: `warn` records an event once per excursion; `kill` stops the
 * container and records it. Memory in MiB.
 */

export interface TimesliceWatch {
  readonly sliceId: string;
  readonly containerId: string;
  readonly gpuUuid: string;
  /** The slice's GPU memory in MiB; 0 = unlimited (never over). */
  readonly memoryLimitMiB: number;
  readonly policy: OverusePolicy;
}

export interface Overuse {
  readonly watch: TimesliceWatch;
  readonly usedMiB: number;
  readonly pids: readonly number[];
}

/** A compute app plus the container its pid belongs to (see proc-cgroup.ts). */
export interface AttributedApp extends ComputeApp {
  readonly containerId: string | null;
}

/** Pure: which watched containers use more GPU memory than their slice right now. */
export function findOveruse(watches: readonly TimesliceWatch[], apps: readonly AttributedApp[]): Overuse[] {
  const out: Overuse[] = [];
  for (const w of watches) {
    if (w.memoryLimitMiB <= 0) continue;
    const mine = apps.filter((a) => a.containerId === w.containerId && a.gpuUuid === w.gpuUuid);
    // Unknown usage (N/A under WDDM) cannot prove overuse; it counts as 0.
    const used = mine.reduce((s, a) => s + (a.usedMemoryMiB ?? 0), 0);
    if (used > w.memoryLimitMiB) out.push({ watch: w, usedMiB: used, pids: mine.map((a) => a.pid) });
  }
  return out;
}

export interface OveruseEvent {
  /** ISO-8601 time of the check. */
  readonly at: string;
  readonly type: "gpu-memory-overuse";
  readonly sliceId: string;
  readonly containerId: string;
  readonly gpuUuid: string;
  readonly usedMiB: number;
  readonly limitMiB: number;
  readonly policy: OverusePolicy;
  /** What was done: `warned`, `killed`, or `kill-failed` (with `error`). */
  readonly action: "warned" | "killed" | "kill-failed";
  readonly pids: readonly number[];
  readonly error?: string;
}

export interface OveruseMonitorDeps {
  /** Current compute apps with their containers (nvidia-smi + /proc/PID/cgroup). */
  readonly sample: () => Promise<readonly AttributedApp[]>;
  /** Stops a container (engine adapter). */
  readonly killContainer: (containerId: string) => Promise<void>;
  /** Where events go (store, log). */
  readonly record: (event: OveruseEvent) => void;
  readonly now?: () => Date;
}

/**
 * One check per `tick()`. `warn` fires once while a container stays over its limit and again only
 * after it has come back under; `kill` acts on every tick it finds overuse (a kill that failed is
 * retried next tick).
 */
export class OveruseMonitor {
  private readonly warned = new Set<string>();

  constructor(private readonly deps: OveruseMonitorDeps) {}

  async tick(watches: readonly TimesliceWatch[]): Promise<OveruseEvent[]> {
    const apps = await this.deps.sample();
    const over = findOveruse(watches, apps);
    const overKeys = new Set(over.map((o) => `${o.watch.sliceId}/${o.watch.containerId}`));
    for (const key of [...this.warned]) if (!overKeys.has(key)) this.warned.delete(key);
    const at = (this.deps.now?.() ?? new Date()).toISOString();
    const events: OveruseEvent[] = [];
    for (const o of over) {
      const key = `${o.watch.sliceId}/${o.watch.containerId}`;
      const base = {
        at,
        type: "gpu-memory-overuse" as const,
        sliceId: o.watch.sliceId,
        containerId: o.watch.containerId,
        gpuUuid: o.watch.gpuUuid,
        usedMiB: o.usedMiB,
        limitMiB: o.watch.memoryLimitMiB,
        policy: o.watch.policy,
        pids: o.pids,
      };
      if (o.watch.policy === "warn") {
        if (this.warned.has(key)) continue;
        this.warned.add(key);
        events.push({ ...base, action: "warned" });
        continue;
      }
      try {
        await this.deps.killContainer(o.watch.containerId);
        events.push({ ...base, action: "killed" });
      } catch (err) {
        events.push({
          ...base,
          action: "kill-failed",
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    for (const e of events) this.deps.record(e);
    return events;
  }
}

/** A `sample` for OveruseMonitor: `--query-compute-apps` through nvidia-smi, pids mapped via /proc. */
export function smiSampler(
  runner: SmiRunner,
  read: (pid: number) => Promise<string | null> = readProcCgroup,
): () => Promise<AttributedApp[]> {
  return async () => {
    const apps = await queryComputeApps(runner);
    const owners = await containersOfPids(
      apps.map((a) => a.pid),
      read,
    );
    return apps.map((a) => ({ ...a, containerId: owners.get(a.pid) ?? null }));
  };
}
