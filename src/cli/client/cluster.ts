import {
  type GpusResponse,
  type GpuView,
  gpusResponse,
  type NodeView,
  nodesResponse,
  type UsageResponse,
} from "../../api/schemas.js";
import { type CommonFlags, client, type Io, stdio } from "./jobs.js";
import { type Column, emit, outputFormat, table } from "./output.js";
import { cpusOf, gpus as gpuCount, memoryOf, percent } from "./units.js";
import { allUsage } from "./pages.js";

/** `nodes` and `usage` over the API. */

export const NODE_COLUMNS: readonly Column<NodeView>[] = [
  { header: "NODE", cell: (n) => n.name },
  { header: "CPU", cell: (n) => cpusOf(n.used.cpuMilli, n.cpuMilli) },
  { header: "MEMORY", cell: (n) => memoryOf(n.used.memoryMiB, n.memoryMiB) },
  { header: "GPUS", cell: (n) => `${n.gpus}${n.simulated ? " (simulated)" : ""}` },
  { header: "GPU USED", cell: (n) => (n.used.gpuMilli === 0 ? "0" : gpuCount(n.used.gpuMilli)) },
  { header: "JOBS", cell: (n) => String(n.jobs) },
  { header: "DRIVER", cell: (n) => n.driverVersion ?? "-", wide: true },
];

export const GPU_COLUMNS: readonly Column<GpuView>[] = [
  { header: "GPU", cell: (g) => String(g.index) },
  {
    header: "MODEL",
    cell: (g) => `${g.model}${g.simulated ? " (simulated)" : ""}${g.migEnabled ? " MIG" : ""}`,
  },
  {
    header: "USED",
    cell: (g) =>
      g.migEnabled
        ? `${g.migInstances.reduce((s, m) => s + m.computeSlices, 0)}/7 MIG compute`
        : percent(g.usedMilli),
  },
  { header: "MEMORY", cell: (g) => memoryOf(g.usedMemoryMiB, g.memoryMiB) },
  { header: "SLICES", cell: (g) => String(g.slices.length) },
  { header: "HEALTH", cell: (g) => (g.unhealthy ? `UNHEALTHY (${g.unhealthy})` : "ok") },
  { header: "UUID", cell: (g) => g.uuid ?? "-", wide: true },
  {
    header: "JOBS",
    cell: (g) =>
      (g.migEnabled
        ? g.migInstances.map((m) => `${m.job} (${m.profile})`)
        : g.slices.map((s) => `${s.job} (${percent(s.milli)})`)
      ).join(", ") || "-",
    wide: true,
  },
];

export async function nodesCommand(f: CommonFlags, io: Io = stdio): Promise<number> {
  const format = outputFormat(f);
  const api = client(f);
  const doc = await api.json(nodesResponse, "GET", "/v1/nodes");
  const gpus = await api.json(gpusResponse, "GET", "/v1/gpus");
  emit(
    format,
    { ...doc, gpus: gpus.gpus },
    (wide) =>
      `${table(NODE_COLUMNS, doc.nodes, wide)}\n${table(GPU_COLUMNS, gpus.gpus, wide)}${migTable(gpus.gpus)}`,
    io.out,
  );
  return 0;
}

type MigRow = { gpu: number; instance: GpuView["migInstances"][number] };
const MIG_COLUMNS: readonly Column<MigRow>[] = [
  { header: "GPU", cell: (r) => String(r.gpu) },
  { header: "MIG INSTANCE", cell: (r) => r.instance.profile },
  {
    header: "MEMORY SLICES",
    cell: ({ instance: m }) =>
      m.memorySlices > 1 ? `${m.start}-${m.start + m.memorySlices - 1}` : String(m.start),
  },
  { header: "UUID", cell: (r) => r.instance.uuid ?? "-" },
  { header: "JOB", cell: (r) => r.instance.job },
];

/** The MIG instances placed jobs hold, one row each ("" when no GPU is MIG-enabled). */
function migTable(gpus: GpusResponse["gpus"]): string {
  if (!gpus.some((g) => g.migEnabled)) return "";
  const rows = gpus.flatMap((g) => g.migInstances.map((instance) => ({ gpu: g.index, instance })));
  return `\n${rows.length > 0 ? table(MIG_COLUMNS, rows) : "MIG instances: none (each MIG job gets one when it is placed)\n"}`;
}

type TenantUsage = UsageResponse["tenants"][number];
type JobUsage = UsageResponse["jobs"][number];
const hours = (s: number) => (s / 3600).toFixed(3);

const TENANT_USAGE: readonly Column<TenantUsage>[] = [
  { header: "TENANT", cell: (t) => t.tenant },
  { header: "GPU-SECONDS", cell: (t) => t.gpuSeconds.toFixed(3) },
  { header: "GPU-HOURS", cell: (t) => hours(t.gpuSeconds), wide: true },
];
const JOB_USAGE: readonly Column<JobUsage>[] = [
  { header: "JOB", cell: (j) => j.job },
  { header: "NAME", cell: (j) => j.name },
  { header: "TENANT", cell: (j) => j.tenant },
  { header: "GPU-SECONDS", cell: (j) => j.gpuSeconds.toFixed(3) },
  { header: "GPU-HOURS", cell: (j) => hours(j.gpuSeconds), wide: true },
];

export async function usageCommand(f: CommonFlags, io: Io = stdio): Promise<number> {
  const format = outputFormat(f);
  const doc = await allUsage(client(f));
  emit(
    format,
    doc,
    (wide) => `${table(TENANT_USAGE, doc.tenants, wide)}\n${table(JOB_USAGE, doc.jobs, wide)}`,
    io.out,
  );
  return 0;
}
