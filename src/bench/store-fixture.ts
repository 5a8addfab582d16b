import { normalizeSpec } from "../api/job-spec.js";
import { inTransaction, Store } from "../store/index.js";

/**
 * A data directory as a busy gpupool leaves it: `jobs` finished jobs spread over `tenants` tenants
 * (team-0, team-1, …), each with a real normalized spec, its five lifecycle events and a metered
 * usage row, written through the store's own API (so the indexes and any running totals are the
 * ones the server keeps). For the store bench and tests that need a full store.
 */
export function fillStore(
  dataDir: string,
  opts: { readonly jobs: number; readonly tenants?: number; readonly live?: number },
): void {
  const store = Store.openDir(dataDir);
  const tenants = Array.from({ length: opts.tenants ?? 4 }, (_, i) => `team-${i}`);
  for (const t of tenants) if (!store.tenants.get(t)) store.tenants.create(t);
  const spec = (i: number) =>
    normalizeSpec({
      name: `train-${i}`,
      image: "localhost/busybox:latest",
      command: ["sh", "-c", "echo training; sleep 1"],
      env: { EPOCHS: "3", RUN: String(i) },
      gpu: 0.5,
      gpuMemory: "10Gi",
      cpu: "1",
      memory: "2Gi",
    });
  const alloc = (i: number) => ({
    workloadId: `w${i}`,
    node: "bench",
    cpuMilli: 1000,
    memoryMiB: 2048,
    gpus: [{ index: i % 8, milli: 500, memoryMiB: 10240 }],
  });
  const BATCH = 500;
  for (let from = 0; from < opts.jobs; from += BATCH) {
    inTransaction(store.db, () => {
      for (let i = from; i < Math.min(opts.jobs, from + BATCH); i++) {
        const tenant = tenants[i % tenants.length]!;
        const s = spec(i);
        const { job } = store.jobs.submit(tenant, { name: s.name, spec: s, priority: s.priority });
        store.jobs.transition(job.id, "Scheduled", { node: "bench", allocation: alloc(i) });
        store.jobs.transition(job.id, "Starting");
        store.jobs.transition(job.id, "Running", { containerId: `c-${job.id}` });
        store.jobs.transition(job.id, "Succeeded", { exitCode: 0 });
        store.usage.add(job.id, 500, 1000 + (i % 60) * 1000);
      }
    });
  }
  for (let i = 0; i < (opts.live ?? 0); i++) {
    const s = spec(opts.jobs + i);
    store.jobs.submit(tenants[i % tenants.length]!, { name: `live-${i}`, spec: s, priority: s.priority });
  }
  store.close();
}
