import { GpupoolError } from "../core/errors.js";
import { type Db, inTransaction, prepared } from "./db.js";

/**
 * Metered GPU use. The unit is GPU milli × milliseconds (exact in integers): one whole GPU
 * (1000 milli) held for one second adds 1_000_000. Reported as GPU-milli-seconds (÷ 1000) and
 * GPU-seconds (÷ 1_000_000).
 */
export interface Usage {
  readonly gpuMilliMs: number;
  /** GPU milli × seconds (1000 = one GPU for one second). */
  readonly gpuMilliSeconds: number;
  readonly gpuSeconds: number;
}

export function usageOf(gpuMilliMs: number): Usage {
  return { gpuMilliMs, gpuMilliSeconds: gpuMilliMs / 1000, gpuSeconds: gpuMilliMs / 1_000_000 };
}

/** Usage per job, summed per tenant. A job's row outlives the job (`gpupool rm`): its tenant's total keeps it. */
export class UsageRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Adds `gpuMilli` held for `durationMs` to the job (and so to its tenant), in one transaction. */
  add(jobId: string, gpuMilli: number, durationMs: number): Usage {
    if (!Number.isInteger(gpuMilli) || gpuMilli < 0 || !Number.isInteger(durationMs) || durationMs < 0) {
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `usage needs whole, non-negative GPU milli and milliseconds (got ${gpuMilli}, ${durationMs})`,
      );
    }
    return inTransaction(this.db, () => {
      const job = prepared(this.db, "SELECT tenant FROM jobs WHERE id = ?").get(jobId) as
        | { tenant: string }
        | undefined;
      if (!job) throw new GpupoolError("GP_JOB_NOT_FOUND", `no job ${jobId}`, { jobId });
      prepared(
        this.db,
        `INSERT INTO usage (job_id, tenant, gpu_milli_ms, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (job_id) DO UPDATE SET gpu_milli_ms = gpu_milli_ms + excluded.gpu_milli_ms, updated_at = excluded.updated_at`,
      ).run(jobId, job.tenant, gpuMilli * durationMs, this.now());
      return this.ofJob(jobId);
    });
  }

  ofJob(jobId: string): Usage {
    const row = prepared(this.db, "SELECT gpu_milli_ms FROM usage WHERE job_id = ?").get(jobId) as
      | { gpu_milli_ms: number }
      | undefined;
    return usageOf(row?.gpu_milli_ms ?? 0);
  }

  ofTenant(tenant: string): Usage {
    const row = prepared(
      this.db,
      "SELECT COALESCE(SUM(gpu_milli_ms), 0) AS total FROM usage WHERE tenant = ?",
    ).get(tenant) as { total: number };
    return usageOf(row.total);
  }

  /** Every tenant's total, by name (tenants without usage are absent). */
  byTenant(): Record<string, Usage> {
    const rows = prepared(
      this.db,
      "SELECT tenant, SUM(gpu_milli_ms) AS total FROM usage GROUP BY tenant ORDER BY tenant",
    ).all() as {
      tenant: string;
      total: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.tenant, usageOf(r.total)]));
  }
}
