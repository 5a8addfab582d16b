import {
  createdTenantResponse,
  createdTokenResponse,
  type GpusResponse,
  gpusResponse,
  nodesResponse,
  tenantResponse,
  tenantsResponse,
} from "../../api/schemas.js";
import { GpupoolError, isGpupoolError } from "../../core/errors.js";
import { parseMemoryMiB } from "../../core/quantity.js";
import { type CommonFlags, client, type Io, stdio } from "./jobs.js";
import { emit, outputFormat, table } from "./output.js";
import { allUsage } from "./pages.js";

/** `nodes`, `usage` and `tenants` over the API. */

export async function nodesCommand(f: CommonFlags, io: Io = stdio): Promise<number> {
  const api = client(f);
  const doc = await api.json(nodesResponse, "GET", "/v1/nodes");
  const gpus = await api.json(gpusResponse, "GET", "/v1/gpus");
  emit(
    outputFormat(f.output),
    { ...doc, gpus: gpus.gpus },
    () =>
      table(
        ["NODE", "CPU", "MEMORY", "GPUS", "GPU USED", "JOBS"],
        doc.nodes.map((n) => [
          n.name,
          `${n.used.cpuMilli / 1000}/${n.cpuMilli / 1000}`,
          `${n.used.memoryMiB}/${n.memoryMiB}Mi`,
          `${n.gpus}${n.simulated ? " (simulated)" : ""}`,
          `${n.used.gpuMilli / 1000}`,
          String(n.jobs),
        ]),
      ) +
      "\n" +
      table(
        ["GPU", "MODEL", "USED", "SLICES"],
        gpus.gpus.map((g) => [
          String(g.index),
          `${g.model}${g.simulated ? " (simulated)" : ""}${g.migEnabled ? " MIG" : ""}`,
          g.migEnabled
            ? `${g.migInstances.reduce((s, m) => s + m.computeSlices, 0)}/7 MIG compute`
            : `${g.usedMilli / 10}%`,
          String(g.slices.length),
        ]),
      ) +
      migTable(gpus.gpus),
    io.out,
  );
  return 0;
}

/** The MIG instances placed jobs hold, one row each ("" when no GPU is MIG-enabled). */
function migTable(gpus: GpusResponse["gpus"]): string {
  if (!gpus.some((g) => g.migEnabled)) return "";
  const rows = gpus.flatMap((g) =>
    g.migInstances.map((m) => [
      String(g.index),
      m.profile,
      m.memorySlices > 1 ? `${m.start}-${m.start + m.memorySlices - 1}` : String(m.start),
      m.uuid ?? "-",
      m.job,
    ]),
  );
  return `\n${rows.length > 0 ? table(["GPU", "MIG INSTANCE", "MEMORY SLICES", "UUID", "JOB"], rows) : "MIG instances: none (each MIG job gets one when it is placed)\n"}`;
}

export async function usageCommand(f: CommonFlags, io: Io = stdio): Promise<number> {
  const doc = await allUsage(client(f));
  emit(
    outputFormat(f.output),
    doc,
    () =>
      table(
        ["TENANT", "GPU-SECONDS"],
        doc.tenants.map((t) => [t.tenant, t.gpuSeconds.toFixed(3)]),
      ) +
      "\n" +
      table(
        ["JOB", "NAME", "TENANT", "GPU-SECONDS"],
        doc.jobs.map((j) => [j.job, j.name, j.tenant, j.gpuSeconds.toFixed(3)]),
      ),
    io.out,
  );
  return 0;
}

export interface TenantFlags extends CommonFlags {
  readonly gpuLimit?: string;
  readonly gpuMemoryLimit?: string;
  readonly cpuLimit?: string;
  readonly memoryLimit?: string;
  readonly gpuGuarantee?: string;
  readonly gpuMemoryGuarantee?: string;
  readonly cpuGuarantee?: string;
  readonly memoryGuarantee?: string;
  readonly gpuSeconds?: string;
  readonly activeJobs?: string;
  readonly maxPriority?: string;
}

/** The quotas body of `tenants create/quota` from its flags; GP_INVALID_ARGUMENT names a bad flag. */
export function quotasFromFlags(f: TenantFlags): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  const milli = (flag: string, v: string) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0)
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `${flag} must be a number of GPUs/CPUs like 1.5, got "${v}"`,
      );
    return Math.round(n * 1000);
  };
  const mib = (flag: string, v: string) => {
    try {
      return parseMemoryMiB(v);
    } catch (err) {
      if (!isGpupoolError(err)) throw err;
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `${flag} must be a memory quantity like 512Mi, 8Gi or 10G (a plain number is bytes), got "${v}"`,
      );
    }
  };
  if (f.gpuLimit !== undefined) q.gpuMilli = milli("--gpu-limit", f.gpuLimit);
  if (f.gpuMemoryLimit !== undefined) q.gpuMemoryMiB = mib("--gpu-memory-limit", f.gpuMemoryLimit);
  if (f.cpuLimit !== undefined) q.cpuMilli = milli("--cpu-limit", f.cpuLimit);
  if (f.memoryLimit !== undefined) q.memoryMiB = mib("--memory-limit", f.memoryLimit);
  const guarantee: Record<string, number> = {};
  if (f.gpuGuarantee !== undefined) guarantee.gpuMilli = milli("--gpu-guarantee", f.gpuGuarantee);
  if (f.gpuMemoryGuarantee !== undefined)
    guarantee.gpuMemoryMiB = mib("--gpu-memory-guarantee", f.gpuMemoryGuarantee);
  if (f.cpuGuarantee !== undefined) guarantee.cpuMilli = milli("--cpu-guarantee", f.cpuGuarantee);
  if (f.memoryGuarantee !== undefined) guarantee.memoryMiB = mib("--memory-guarantee", f.memoryGuarantee);
  if (Object.keys(guarantee).length > 0) q.guarantee = guarantee;
  if (f.gpuSeconds !== undefined) q.gpuSeconds = milli("--gpu-seconds", f.gpuSeconds) / 1000;
  if (f.activeJobs !== undefined) {
    if (!/^\d+$/.test(f.activeJobs))
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `--active-jobs must be a whole number, got "${f.activeJobs}"`,
      );
    q.activeJobs = Number(f.activeJobs);
  }
  // A class name or an integer: the server checks it (GP_UNKNOWN_PRIORITY_CLASS) and stores the integer.
  if (f.maxPriority !== undefined)
    q.maxPriority = /^[+-]?\d+$/.test(f.maxPriority.trim()) ? Number(f.maxPriority) : f.maxPriority;
  return q;
}

/** `tenants` (list), `tenants create NAME`, `tenants token NAME`, `tenants quota NAME`. */
export async function tenantsCommand(
  action: string | undefined,
  name: string | undefined,
  f: TenantFlags,
  io: Io = stdio,
): Promise<number> {
  const api = client(f);
  const need = () => {
    if (!name) throw new GpupoolError("GP_INVALID_ARGUMENT", `tenants ${action} needs a tenant name`);
    return name;
  };
  switch (action ?? "list") {
    case "list": {
      const doc = await api.json(tenantsResponse, "GET", "/v1/tenants");
      emit(
        outputFormat(f.output),
        doc,
        () =>
          table(
            ["TENANT", "QUOTAS"],
            doc.tenants.map((t) => [t.name, JSON.stringify(t.quotas)]),
          ),
        io.out,
      );
      return 0;
    }
    case "create": {
      const doc = await api.json(createdTenantResponse, "POST", "/v1/tenants", {
        name: need(),
        quotas: quotasFromFlags(f),
      });
      emit(
        outputFormat(f.output),
        doc,
        () => `tenant ${doc.tenant.name} created; its token (shown once): ${doc.token}\n`,
        io.out,
      );
      return 0;
    }
    case "token": {
      const doc = await api.json(
        createdTokenResponse,
        "POST",
        `/v1/tenants/${encodeURIComponent(need())}/tokens`,
        {},
      );
      emit(outputFormat(f.output), doc, () => `${doc.token}\n`, io.out);
      return 0;
    }
    case "quota": {
      const doc = await api.json(
        tenantResponse,
        "PUT",
        `/v1/tenants/${encodeURIComponent(need())}/quotas`,
        quotasFromFlags(f),
      );
      emit(outputFormat(f.output), doc, () => `${JSON.stringify(doc.tenant)}\n`, io.out);
      return 0;
    }
    default:
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `tenants: unknown action "${action}" (list, create, token, quota)`,
      );
  }
}
