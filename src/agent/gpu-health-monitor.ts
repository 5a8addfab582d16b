import { closeSync, openSync, readSync, statSync } from "node:fs";
import { afterXid, type GpuHealthState, parseXid, settle } from "../core/gpu-health.js";
import type { NodeSpec } from "../core/node.js";
import type { Store } from "../store/index.js";
import type { Clock, Timer } from "../loop/clock.js";
import type { Logger } from "../loop/logger.js";

/**
 * Watches a kernel log for the NVIDIA driver's XID messages (core/gpu-health.ts) and keeps each
 * GPU's health: a fatal XID makes its GPU unhealthy (the scheduler gives it no new work: see
 * StoreCluster.nodes), every XID is an event on the jobs placed on that GPU, and a GPU is healthy
 * again `recoverMs` after its last fatal XID. The log is read from where it ended at start (what
 * happened before is not this run's), each `intervalMs`; a log that shrank (rotated) is read again
 * from its start.
 */

export interface GpuHealthOptions {
  /** The log to follow: the kernel's (e.g. /var/log/kern.log), or any file the XID lines are written to. */
  readonly log: string;
  /** How often it is read, ms (default 5000): the sampling period. */
  readonly intervalMs?: number;
  /** How long after its last fatal XID a GPU is healthy again, ms (default 300000). */
  readonly recoverMs?: number;
}

export class GpuHealthMonitor {
  private offset = 0;
  private partial = "";
  private readonly states = new Map<number, GpuHealthState>();
  private timer: Timer | undefined;
  private closed = false;

  constructor(
    private readonly o: GpuHealthOptions,
    private readonly node: NodeSpec,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Called when a GPU turns unhealthy or healthy again. */
    private readonly onChange: () => void,
  ) {}

  start(): void {
    const size = sizeOf(this.o.log);
    this.offset = size ?? 0;
    if (size === undefined)
      this.log.warn({ log: this.o.log }, "GPU health: the log does not exist yet; it is read once it does");
    this.schedule();
  }

  /** Why GPU `index` takes no new work; undefined while it is healthy. */
  unhealthy(index: number): string | undefined {
    return this.states.get(index)?.reason;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      try {
        this.sample();
      } catch (err) {
        this.log.error({ err }, "GPU health: reading the log failed");
      }
      this.schedule();
    }, this.o.intervalMs ?? 5000);
    this.timer.unref?.();
  }

  /** One sampling period: new XIDs, then recoveries; onChange when a GPU's health changed. */
  sample(): void {
    const before = this.node.gpus.map((g) => this.unhealthy(g.index));
    const now = this.clock.now();
    for (const line of this.newLines()) {
      const x = parseXid(line);
      if (!x) continue;
      const gpu = this.node.gpus.find((g) => g.pciBusId === x.pciBusId);
      if (!gpu) {
        this.log.warn(
          { xid: x.xid, pci: x.pciBusId },
          "GPU health: an XID for a GPU this node does not have",
        );
        continue;
      }
      const was = this.states.get(gpu.index) ?? {};
      const next = afterXid(was, x, now);
      this.states.set(gpu.index, next);
      const became = next.reason !== undefined && was.reason === undefined;
      this.noteJobs(
        gpu.index,
        became ? "GpuUnhealthy" : "GpuXid",
        `GPU ${gpu.index} ${became ? "is unhealthy, it takes no new work" : "reported an error"}: XID ${x.xid}: ${x.detail}`,
      );
      this.log.warn(
        { gpu: gpu.index, xid: x.xid, detail: x.detail, fatal: next.reason !== undefined },
        "GPU XID",
      );
    }
    const recoverMs = this.o.recoverMs ?? 300_000;
    for (const [index, state] of this.states) {
      const next = settle(state, now, recoverMs);
      if (next === state) continue;
      this.states.delete(index);
      this.log.info({ gpu: index }, "GPU healthy again: no fatal XID for the recovery period");
    }
    const after = this.node.gpus.map((g) => this.unhealthy(g.index));
    if (after.some((r, i) => r !== before[i])) this.onChange();
  }

  private noteJobs(index: number, type: string, reason: string): void {
    for (const j of this.store.jobs.list({ states: ["Scheduled", "Starting", "Running"] }))
      if (j.allocation?.gpus.some((g) => g.index === index)) this.store.jobs.note(j.id, type, reason);
  }

  /** Whole lines appended to the log since the last read. */
  private newLines(): string[] {
    const size = sizeOf(this.o.log);
    if (size === undefined) return [];
    if (size < this.offset) {
      this.offset = 0;
      this.partial = "";
    }
    if (size === this.offset) return [];
    const fd = openSync(this.o.log, "r");
    try {
      const buf = Buffer.alloc(Math.min(size - this.offset, 4 * 1024 * 1024));
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const text = this.partial + buf.subarray(0, n).toString("utf8");
      const lines = text.split("\n");
      this.partial = lines.pop() ?? "";
      return lines;
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
  }
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
