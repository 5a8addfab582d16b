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

/**
 * Usage per job, summed per tenant (usage_totals). A job's row outlives the job (`gpupool rm`): its
 * tenant's total keeps it.
 */
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

  /** The tenant's total, from usage_totals (kept by triggers on usage: migration 5), not a SUM over its rows. */
  ofTenant(tenant: string): Usage {
    const row = prepared(this.db, "SELECT gpu_milli_ms FROM usage_totals WHERE tenant = ?").get(tenant) as
      | { gpu_milli_ms: number }
      | undefined;
    return usageOf(row?.gpu_milli_ms ?? 0);
  }

  /** Every tenant's total, by name (tenants without usage are absent), from usage_totals. */
  byTenant(): Record<string, Usage> {
    const rows = prepared(this.db, "SELECT tenant, gpu_milli_ms FROM usage_totals ORDER BY tenant").all() as {
      tenant: string;
      gpu_milli_ms: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.tenant, usageOf(r.gpu_milli_ms)]));
  }

  /**
   * A page of per-job usage, in submission order after job `afterSeq`: the jobs (of `tenant`, or
   * everyone's) that still exist and have metered usage or are Running (whose attempt the caller adds
   * up to now). One LIMIT query on jobs' primary key or jobs_tenant.
   */
  jobsPage(opts: { tenant?: string; afterSeq?: number; limit: number }): JobUsageRow[] {
    const sql = `SELECT j.seq AS seq, j.id AS job, j.name AS name, j.tenant AS tenant, j.state AS state,
        COALESCE(u.gpu_milli_ms, 0) AS gpuMilliMs
      FROM jobs j LEFT JOIN usage u ON u.job_id = j.id
      WHERE ${opts.tenant === undefined ? "" : "j.tenant = @tenant AND "}j.seq > @after
        AND (u.gpu_milli_ms > 0 OR j.state = 'Running')
      ORDER BY j.seq LIMIT @limit`;
    return prepared(this.db, sql).all({
      ...(opts.tenant === undefined ? {} : { tenant: opts.tenant }),
      after: opts.afterSeq ?? 0,
      limit: opts.limit,
    }) as JobUsageRow[];
  }
}

export interface JobUsageRow {
  readonly seq: number;
  readonly job: string;
  readonly name: string;
  readonly tenant: string;
  readonly state: string;
  /** Stored usage (finished attempts). */
  readonly gpuMilliMs: number;
}
