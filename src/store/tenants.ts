import { GpupoolError } from "../core/errors.js";
import { type QueueSpec, queueSpec, RESOURCE_KEYS, type ResourceKey, type Resources } from "../core/queue.js";
import { type Db, inTransaction, prepared } from "./db.js";

/**
 * Limits on one tenant; absent = unlimited. Units: GPU milli (1000 = one GPU), GPU memory MiB, CPU
 * milli, host memory MiB. The tenant is a scheduler queue of the same name: the limits below are its
 * queue limit, `guarantee` and `weight` its guarantee and weight (src/core/queue.ts).
 */
export interface TenantQuotas {
  /** GPU milli the tenant's placed jobs may hold at once. */
  readonly gpuMilli?: number;
  /** GPU memory (MiB) the tenant's placed jobs may hold at once. */
  readonly gpuMemoryMiB?: number;
  /** CPU milli the tenant's placed jobs may hold at once. */
  readonly cpuMilli?: number;
  /** Host memory (MiB) the tenant's placed jobs may hold at once. */
  readonly memoryMiB?: number;
  /** Always available to the tenant: others' work above their own guarantee is reclaimed for it. */
  readonly guarantee?: Partial<Resources>;
  /** Share of idle capacity beyond guarantees, relative to other tenants' weights. */
  readonly weight?: number;
  /** Jobs not yet finished (Pending … Running). */
  readonly activeJobs?: number;
  /** GPU-seconds the tenant may consume in total (metered usage). */
  readonly gpuSeconds?: number;
  /** The highest priority its jobs may ask (core/priority-ceiling.ts); absent: normal (0). */
  readonly maxPriority?: number;
}

/**
 * The scheduler queue of a tenant with these quotas: every limit it sets (one left out is unlimited),
 * its guarantee and weight. Throws GP_INVALID_SPEC, naming the field, when a guarantee exceeds its
 * limit (how the API checks quotas before storing them).
 */
export function tenantQueueSpec(name: string, q: TenantQuotas, usedGpuSeconds = 0): QueueSpec {
  const limit: Partial<Record<ResourceKey, number>> = {};
  for (const key of RESOURCE_KEYS) if (q[key] !== undefined) limit[key] = q[key];
  return queueSpec({
    name,
    ...(q.gpuSeconds !== undefined ? { gpuSeconds: { budget: q.gpuSeconds, used: usedGpuSeconds } } : {}),
    ...(Object.keys(limit).length > 0 ? { limit } : {}),
    ...(q.guarantee ? { guarantee: q.guarantee } : {}),
    ...(q.weight !== undefined ? { weight: q.weight } : {}),
  });
}

export interface Tenant {
  readonly name: string;
  readonly quotas: TenantQuotas;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

interface TenantRow {
  name: string;
  quotas: string;
  created_at: number;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export class TenantRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    /** Called inside the write's transaction when a tenant or its quotas change (the store's change feed). */
    private readonly changed: (name: string) => void = () => {},
  ) {}

  /** Names: lowercase letters, digits and '-', 1–63 characters (they end up in labels and URLs). */
  create(name: string, quotas: TenantQuotas = {}): Tenant {
    if (!NAME.test(name)) {
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `tenant name ${JSON.stringify(name)} must be 1–63 of a-z, 0-9 and '-', not starting or ending with '-'`,
      );
    }
    return inTransaction(this.db, () => {
      if (this.get(name))
        throw new GpupoolError("GP_TENANT_EXISTS", `tenant ${name} already exists`, { tenant: name });
      const createdAt = this.now();
      prepared(this.db, "INSERT INTO tenants (name, quotas, created_at) VALUES (?, ?, ?)").run(
        name,
        JSON.stringify(quotas),
        createdAt,
      );
      this.changed(name);
      return { name, quotas, createdAt };
    });
  }

  get(name: string): Tenant | undefined {
    const row = prepared(this.db, "SELECT * FROM tenants WHERE name = ?").get(name) as TenantRow | undefined;
    return row ? toTenant(row) : undefined;
  }

  /** The tenant, or GP_TENANT_NOT_FOUND. */
  require(name: string): Tenant {
    const t = this.get(name);
    if (!t) throw new GpupoolError("GP_TENANT_NOT_FOUND", `no tenant ${name}`, { tenant: name });
    return t;
  }

  list(): Tenant[] {
    return (prepared(this.db, "SELECT * FROM tenants ORDER BY name").all() as TenantRow[]).map(toTenant);
  }

  /**
   * Deletes a tenant that has no jobs left (GP_TENANT_HAS_LIVE_JOBS otherwise: the caller deletes
   * its finished jobs first), with its metered usage and its tokens. Returns it as it was.
   */
  delete(name: string): Tenant {
    return inTransaction(this.db, () => {
      const t = this.require(name);
      const jobs = prepared(this.db, "SELECT count(*) AS n FROM jobs WHERE tenant = ?").get(name) as {
        n: number;
      };
      if (jobs.n > 0)
        throw new GpupoolError("GP_TENANT_HAS_LIVE_JOBS", `tenant ${name} still has ${jobs.n} job(s)`, {
          tenant: name,
        });
      prepared(this.db, "DELETE FROM usage WHERE tenant = ?").run(name);
      // Its tokens go by ON DELETE CASCADE.
      prepared(this.db, "DELETE FROM tenants WHERE name = ?").run(name);
      this.changed(name);
      return t;
    });
  }

  setQuotas(name: string, quotas: TenantQuotas): Tenant {
    return inTransaction(this.db, () => {
      const t = this.require(name);
      prepared(this.db, "UPDATE tenants SET quotas = ? WHERE name = ?").run(JSON.stringify(quotas), name);
      this.changed(name);
      return { ...t, quotas };
    });
  }
}

function toTenant(row: TenantRow): Tenant {
  return { name: row.name, quotas: JSON.parse(row.quotas) as TenantQuotas, createdAt: row.created_at };
}
