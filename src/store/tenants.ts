import { GpupoolError } from "../core/errors.js";
import { type Db, inTransaction, prepared } from "./db.js";

/** Limits on one tenant; absent = unlimited. Units: GPU milli (1000 = one GPU), CPU milli, memory MiB. */
export interface TenantQuotas {
  /** GPU milli the tenant's placed jobs may hold at once. */
  readonly gpuMilli?: number;
  readonly cpuMilli?: number;
  readonly memoryMiB?: number;
  /** Jobs not yet finished (Pending … Running). */
  readonly activeJobs?: number;
  /** GPU-seconds the tenant may consume in total (metered usage). */
  readonly gpuSeconds?: number;
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

  setQuotas(name: string, quotas: TenantQuotas): Tenant {
    return inTransaction(this.db, () => {
      const t = this.require(name);
      prepared(this.db, "UPDATE tenants SET quotas = ? WHERE name = ?").run(JSON.stringify(quotas), name);
      return { ...t, quotas };
    });
  }
}

function toTenant(row: TenantRow): Tenant {
  return { name: row.name, quotas: JSON.parse(row.quotas) as TenantQuotas, createdAt: row.created_at };
}
