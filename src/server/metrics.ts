import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { NodeSpec } from "../core/node.js";
import { JOB_STATES, type Store } from "../store/index.js";

/** What the agent reports as it runs (see ScheduleLoop.onCycle). */
export interface CycleSource {
  onCycle(listener: (seconds: number, bound: number) => void): void;
}

/**
 * Prometheus metrics of one server (its own registry, nothing global), computed at scrape time from
 * the store: jobs per state, GPU compute held per GPU, metered GPU-seconds; scheduling cycle times
 * and jobs bound as the agent runs them; and Node's process metrics (event-loop lag, heap, CPU)
 * under the gpupool_ prefix. Aggregates only — no tenant or job names — so /metrics needs no token.
 */
export function serverMetrics(
  store: Store,
  node: NodeSpec,
  agent?: CycleSource,
  unhealthy: (gpu: number) => string | undefined = () => undefined,
  overuseActions: () => Readonly<Record<string, number>> = () => ({}),
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "gpupool_" });
  if (agent) {
    const cycles = new Histogram({
      name: "gpupool_scheduler_cycle_seconds",
      help: "Time of scheduling cycles that had pending jobs to consider",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
      registers: [registry],
    });
    const bound = new Counter({
      name: "gpupool_scheduler_jobs_bound_total",
      help: "Jobs the scheduler has placed since the server started",
      registers: [registry],
    });
    agent.onCycle((seconds, n) => {
      cycles.observe(seconds);
      bound.inc(n);
    });
  }
  new Gauge({
    name: "gpupool_jobs",
    help: "Jobs by state",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const counts = store.db.prepare("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as {
        state: string;
        n: number;
      }[];
      for (const s of JOB_STATES) this.set({ state: s }, counts.find((c) => c.state === s)?.n ?? 0);
    },
  });
  new Gauge({
    name: "gpupool_gpu_used_milli",
    help: "GPU compute held by placed jobs, in milli-GPUs (1000 = a whole GPU)",
    labelNames: ["gpu", "model", "simulated"],
    registers: [registry],
    collect() {
      const placed = store.jobs.list({ states: ["Scheduled", "Starting", "Running"] });
      for (const g of node.gpus) {
        const used = placed.reduce(
          (sum, j) =>
            sum +
            (j.allocation?.gpus ?? []).filter((a) => a.index === g.index).reduce((s, a) => s + a.milli, 0),
          0,
        );
        this.set({ gpu: String(g.index), model: g.model, simulated: String(g.simulated === true) }, used);
      }
    },
  });
  new Gauge({
    name: "gpupool_gpu_healthy",
    help: "1 while the GPU takes new work, 0 after a fatal XID until its recovery period passes (DCGM: DCGM_FI_DEV_XID_ERRORS)",
    labelNames: ["gpu", "model", "simulated"],
    registers: [registry],
    collect() {
      for (const g of node.gpus)
        this.set(
          { gpu: String(g.index), model: g.model, simulated: String(g.simulated === true) },
          unhealthy(g.index) === undefined ? 1 : 0,
        );
    },
  });
  new Gauge({
    name: "gpupool_gpu_memory_overuse_actions",
    help: "Actions taken on time-sliced shares over their GPU memory since start, by action (warned, killed, kill-failed)",
    labelNames: ["action"],
    registers: [registry],
    collect() {
      const counts = overuseActions();
      for (const action of ["warned", "killed", "kill-failed"]) this.set({ action }, counts[action] ?? 0);
    },
  });
  new Gauge({
    name: "gpupool_gpu_capacity_milli",
    help: "GPU compute of the host, in milli-GPUs",
    registers: [registry],
    collect() {
      this.set(node.gpus.length * 1000);
    },
  });
  new Gauge({
    name: "gpupool_metered_gpu_seconds",
    help: "GPU-seconds metered for finished attempts (share × time), all tenants",
    registers: [registry],
    collect() {
      this.set(Object.values(store.usage.byTenant()).reduce((s, u) => s + u.gpuSeconds, 0));
    },
  });
  return registry;
}
