import { Gauge, Registry } from "prom-client";
import { meteredGpuMilli } from "../agent/workload.js";
import { reasonKind } from "../core/pending-reason.js";
import { JOB_STATES, type JobRecord, PLACED_STATES, type Store } from "../store/index.js";

/**
 * The per-job and per-tenant metrics of /metrics, in their own registry: they name tenants and
 * jobs, so a scrape sees them only with the admin token (aggregates, metrics.ts, stay open). Each is
 * computed at scrape time from the store. Names follow Prometheus' conventions (units in the name,
 * bytes for memory); the nearest HAMi and DCGM series are named in each help text (docs/metrics.md).
 */
export function tenantMetrics(
  store: Store,
  gpuMemoryUsed: (jobId: string) => { readonly usedMiB: number; readonly source: string } | undefined = () =>
    undefined,
  /** Why a pending job waits (the scheduler's reason), as `gpupool ps` shows it. */
  pendingReason: (job: JobRecord) => string | null = (job) => job.reason,
): Registry {
  const registry = new Registry();
  const placed = () => store.jobs.list({ states: [...PLACED_STATES] });

  /** A gauge per placed job and GPU it holds, valued from that GPU's share of its allocation. */
  const perJobGpu = (
    name: string,
    help: string,
    value: (g: { milli: number; memoryMiB: number }) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["job_id", "job_name", "tenant", "gpu"],
      registers: [registry],
      collect() {
        this.reset();
        for (const j of placed())
          for (const g of j.allocation?.gpus ?? [])
            this.set({ job_id: j.id, job_name: j.name, tenant: j.tenant, gpu: String(g.index) }, value(g));
      },
    });
  perJobGpu(
    "gpupool_job_gpu_memory_limit_bytes",
    "GPU memory a placed job's slice is limited to, per GPU (HAMi: vGPU_device_memory_limit_in_bytes); 0: a share without a memory limit",
    (g) => g.memoryMiB * 1024 * 1024,
  );
  perJobGpu(
    "gpupool_job_gpu_compute_milli",
    "GPU compute a placed job holds, per GPU, in milli-GPUs (HAMi: vGPU_device_core_limit × 10)",
    (g) => g.milli,
  );
  new Gauge({
    name: "gpupool_job_gpu_memory_used_bytes",
    help: "GPU memory a running time-sliced share uses, as last sampled; source nvidia-smi, or simulated on simulated GPUs (HAMi: vGPU_device_memory_usage_in_bytes; DCGM: DCGM_FI_DEV_FB_USED per GPU)",
    labelNames: ["job_id", "job_name", "tenant", "gpu", "source"],
    registers: [registry],
    collect() {
      this.reset();
      for (const j of placed()) {
        const u = gpuMemoryUsed(j.id);
        const gpu = j.allocation?.gpus[0];
        if (u && gpu)
          this.set(
            { job_id: j.id, job_name: j.name, tenant: j.tenant, gpu: String(gpu.index), source: u.source },
            u.usedMiB * 1024 * 1024,
          );
      }
    },
  });
  new Gauge({
    name: "gpupool_pending_jobs",
    help: "Pending jobs (the first 1000) by tenant and the kind of reason they wait for (its amounts left out)",
    labelNames: ["tenant", "reason"],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, { tenant: string; reason: string; n: number }>();
      for (const j of store.jobs.list({ states: ["Pending"], limit: 1000 })) {
        const reason = reasonKind(pendingReason(j) ?? "not considered yet");
        const key = `${j.tenant}\0${reason}`;
        const c = counts.get(key) ?? { tenant: j.tenant, reason, n: 0 };
        c.n++;
        counts.set(key, c);
      }
      for (const c of counts.values()) this.set({ tenant: c.tenant, reason: c.reason }, c.n);
    },
  });
  new Gauge({
    name: "gpupool_tenant_jobs",
    help: "A tenant's jobs by state",
    labelNames: ["tenant", "state"],
    registers: [registry],
    collect() {
      this.reset();
      const rows = store.db
        .prepare("SELECT tenant, state, COUNT(*) AS n FROM jobs GROUP BY tenant, state")
        .all() as {
        tenant: string;
        state: string;
        n: number;
      }[];
      for (const t of store.tenants.list())
        for (const s of JOB_STATES)
          this.set(
            { tenant: t.name, state: s },
            rows.find((r) => r.tenant === t.name && r.state === s)?.n ?? 0,
          );
    },
  });

  /** What a tenant's placed jobs hold now, by quota resource. */
  const used = () => {
    const out = new Map<string, Record<string, number>>();
    for (const t of store.tenants.list())
      out.set(t.name, {
        gpu_milli: 0,
        gpu_memory_mib: 0,
        cpu_milli: 0,
        memory_mib: 0,
        active_jobs: store.jobs.liveCount(t.name),
      });
    for (const j of placed()) {
      const u = out.get(j.tenant);
      if (!u || !j.allocation) continue;
      u.gpu_milli! += meteredGpuMilli(j.allocation);
      u.gpu_memory_mib! += j.allocation.gpus.reduce((s, g) => s + g.memoryMiB, 0);
      u.cpu_milli! += j.allocation.cpuMilli;
      u.memory_mib! += j.allocation.memoryMiB;
    }
    return out;
  };
  const RESOURCES = [
    ["gpu_milli", "gpuMilli"],
    ["gpu_memory_mib", "gpuMemoryMiB"],
    ["cpu_milli", "cpuMilli"],
    ["memory_mib", "memoryMiB"],
  ] as const;
  new Gauge({
    name: "gpupool_tenant_quota_used",
    help: "What a tenant's placed jobs hold, by quota resource (gpu_milli, gpu_memory_mib, cpu_milli, memory_mib) and its unfinished jobs (active_jobs)",
    labelNames: ["tenant", "resource"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [tenant, u] of used())
        for (const [resource, v] of Object.entries(u)) this.set({ tenant, resource }, v);
    },
  });
  new Gauge({
    name: "gpupool_tenant_quota_limit",
    help: "A tenant's quota limit by resource, where it has one (gpupool tenants quota)",
    labelNames: ["tenant", "resource"],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of store.tenants.list()) {
        for (const [resource, key] of RESOURCES) {
          const v = t.quotas[key];
          if (v !== undefined) this.set({ tenant: t.name, resource }, v);
        }
        if (t.quotas.activeJobs !== undefined)
          this.set({ tenant: t.name, resource: "active_jobs" }, t.quotas.activeJobs);
      }
    },
  });
  new Gauge({
    name: "gpupool_tenant_quota_guaranteed",
    help: "A tenant's guaranteed share by resource, where it has one",
    labelNames: ["tenant", "resource"],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of store.tenants.list())
        for (const [resource, key] of RESOURCES) {
          const v = t.quotas.guarantee?.[key];
          if (v !== undefined) this.set({ tenant: t.name, resource }, v);
        }
    },
  });
  return registry;
}
