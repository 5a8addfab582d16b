import {
  createdTenantResponse,
  createdTokenResponse,
  type TenantView,
  tenantResponse,
  tenantsResponse,
} from "../../api/schemas.js";
import { GpupoolError, isGpupoolError } from "../../core/errors.js";
import { parseMemoryMiB } from "../../core/quantity.js";
import { type CommonFlags, client, type Io, stdio } from "./jobs.js";
import { type Column, emit, outputFormat, table } from "./output.js";
import { localTime, quotas, resources } from "./units.js";

/** `tenants` (list) and the admin's `tenants create|token|quota|delete NAME` over the API. */

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

const TENANT_COLUMNS: readonly Column<TenantView>[] = [
  { header: "TENANT", cell: (t) => t.name },
  { header: "LIMITS", cell: (t) => resources(t.quotas) },
  { header: "GUARANTEES", cell: (t) => resources(t.quotas.guarantee) },
  {
    header: "ACTIVE JOBS",
    cell: (t) => (t.quotas.activeJobs === undefined ? "-" : String(t.quotas.activeJobs)),
  },
  {
    header: "GPU-SECONDS",
    cell: (t) => (t.quotas.gpuSeconds === undefined ? "-" : String(t.quotas.gpuSeconds)),
  },
  {
    header: "WEIGHT",
    cell: (t) => (t.quotas.weight === undefined ? "-" : String(t.quotas.weight)),
    wide: true,
  },
  { header: "CREATED", cell: (t) => localTime(t.createdAt), wide: true },
];

/** `tenants` (list), `tenants create NAME`, `tenants token NAME`, `tenants quota NAME`. */
export async function tenantsCommand(
  action: string | undefined,
  name: string | undefined,
  f: TenantFlags,
  io: Io = stdio,
): Promise<number> {
  const format = outputFormat(f);
  const api = client(f);
  const need = () => {
    if (!name) throw new GpupoolError("GP_INVALID_ARGUMENT", `tenants ${action} needs a tenant name`);
    return name;
  };
  switch (action ?? "list") {
    case "list": {
      const doc = await api.json(tenantsResponse, "GET", "/v1/tenants");
      emit(format, doc, (wide) => table(TENANT_COLUMNS, doc.tenants, wide), io.out);
      return 0;
    }
    case "create": {
      const doc = await api.json(createdTenantResponse, "POST", "/v1/tenants", {
        name: need(),
        quotas: quotasFromFlags(f),
      });
      emit(
        format,
        doc,
        () =>
          `tenant ${doc.tenant.name} created (quotas: ${quotas(doc.tenant.quotas)}); its token (shown once): ${doc.token}\n`,
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
      emit(format, doc, () => `${doc.token}\n`, io.out);
      return 0;
    }
    case "quota": {
      const doc = await api.json(
        tenantResponse,
        "PUT",
        `/v1/tenants/${encodeURIComponent(need())}/quotas`,
        quotasFromFlags(f),
      );
      emit(format, doc, (wide) => `${table(TENANT_COLUMNS, [doc.tenant], wide)}`, io.out);
      return 0;
    }
    case "delete": {
      const doc = await api.json(tenantResponse, "DELETE", `/v1/tenants/${encodeURIComponent(need())}`);
      emit(format, doc, () => `tenant ${doc.tenant.name} deleted\n`, io.out);
      return 0;
    }
    default:
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `tenants: unknown action "${action}" (list, create, token, quota, delete)`,
      );
  }
}
