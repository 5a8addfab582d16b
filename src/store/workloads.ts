import { randomBytes } from "node:crypto";
import type { ArrayProgress, ArrayState } from "../core/array.js";
import { GpupoolError } from "../core/errors.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import type { ServiceStatus } from "../core/service.js";
import { type Db, inTransaction, prepared } from "./db.js";
import type { JobState } from "./job-states.js";
import { canonicalJson } from "./jobs.js";
import { WORKLOAD_ID_PREFIX, type WorkloadKind } from "./workload-ids.js";

/**
 * Workloads: what a user asked for as a whole, that owns jobs made from it. Three kinds: the batch
 * array (core/array.ts; its progress as agent/array-reconciler.ts last counted it), the service
 * (core/service.ts; its status as agent/service-reconciler.ts keeps it) and the gang (core/gang.ts,
 * agent/gang-reconciler.ts). Their jobs name them as their owner (jobs.owner); ids start with a-,
 * s- and g-.
 */
export type { WorkloadKind } from "./workload-ids.js";

export interface WorkloadRecord {
  readonly id: string;
  readonly seq: number;
  readonly tenant: string;
  readonly kind: WorkloadKind;
  readonly clientRequestId: string | null;
  readonly name: string;
  readonly spec: NormalizedSpec;
  readonly state: ArrayState;
  readonly reason: string | null;
  readonly progress: ArrayProgress;
  /** A service's status (undefined for an array). */
  readonly status: ServiceStatus | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

interface WorkloadRow {
  id: string;
  seq: number;
  tenant: string;
  kind: WorkloadKind;
  client_request_id: string | null;
  name: string;
  spec: string;
  state: ArrayState;
  reason: string | null;
  progress: string;
  status: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** A task job of a workload as the reconciler reads it: its slot and state. */
export interface OwnedJob {
  readonly slot: number;
  readonly state: JobState;
}

export class WorkloadRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /**
   * Creates a Running workload, its progress empty until its first reconcile (which the caller runs
   * in the same transaction). With a client request id this tenant already used, returns that
   * workload (created: false) when the spec is the same, GP_IDEMPOTENCY_CONFLICT when it differs.
   */
  create(
    tenant: string,
    w: {
      kind: WorkloadKind;
      name: string;
      spec: NormalizedSpec;
      clientRequestId?: string;
      /** A service's first status. */
      status?: ServiceStatus;
      /** The id to use (a gang's, derived from its request id); default a new one. */
      id?: string;
    },
  ): { workload: WorkloadRecord; created: boolean } {
    return inTransaction(this.db, () => {
      if (w.clientRequestId !== undefined) {
        const row = prepared(
          this.db,
          "SELECT * FROM workloads WHERE tenant = ? AND client_request_id = ?",
        ).get(tenant, w.clientRequestId) as WorkloadRow | undefined;
        if (row) {
          const existing = toWorkload(row);
          if (existing.name !== w.name || canonicalJson(existing.spec) !== canonicalJson(w.spec))
            throw new GpupoolError(
              "GP_IDEMPOTENCY_CONFLICT",
              `client request id ${w.clientRequestId} was already used for ${existing.id} with a different submission`,
              { id: existing.id, clientRequestId: w.clientRequestId },
            );
          return { workload: existing, created: false };
        }
      }
      const at = this.now();
      const id = w.id ?? `${WORKLOAD_ID_PREFIX[w.kind]}${at.toString(36)}${randomBytes(4).toString("hex")}`;
      const row = prepared(
        this.db,
        `INSERT INTO workloads (id, tenant, kind, client_request_id, name, spec, state, status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'Running', ?, ?, ?) RETURNING *`,
      ).get(
        id,
        tenant,
        w.kind,
        w.clientRequestId ?? null,
        w.name,
        JSON.stringify(w.spec),
        JSON.stringify(w.status ?? {}),
        at,
        at,
      ) as WorkloadRow;
      return { workload: toWorkload(row), created: true };
    });
  }

  /** Whether the tenant already submitted a workload with this client request id. */
  hasClientRequest(tenant: string, clientRequestId: string): boolean {
    return (
      prepared(this.db, "SELECT 1 FROM workloads WHERE tenant = ? AND client_request_id = ?").get(
        tenant,
        clientRequestId,
      ) !== undefined
    );
  }

  get(id: string): WorkloadRecord | undefined {
    const row = prepared(this.db, "SELECT * FROM workloads WHERE id = ?").get(id) as WorkloadRow | undefined;
    return row ? toWorkload(row) : undefined;
  }

  /** A tenant's workloads (all tenants' when absent), oldest first; only Running ones with `running`. */
  list(
    filter: { tenant?: string; running?: boolean; name?: string; kind?: WorkloadKind } = {},
  ): WorkloadRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.kind !== undefined) {
      where.push("kind = ?");
      args.push(filter.kind);
    }
    if (filter.tenant !== undefined) {
      where.push("tenant = ?");
      args.push(filter.tenant);
    }
    if (filter.name !== undefined) {
      where.push("name = ?");
      args.push(filter.name);
    }
    if (filter.running) where.push("state = 'Running'");
    const sql = `SELECT * FROM workloads ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq`;
    return (prepared(this.db, sql).all(...args) as WorkloadRow[]).map(toWorkload);
  }

  /** The slot and state of every job the workload owns, by slot. */
  ownedJobs(id: string): OwnedJob[] {
    return prepared(
      this.db,
      "SELECT owner_slot AS slot, state FROM jobs WHERE owner = ? ORDER BY owner_slot",
    ).all(id) as OwnedJob[];
  }

  /** Records state, progress and reason (none: null); entering an ended state sets finished_at. */
  update(id: string, state: ArrayState, progress: ArrayProgress, reason?: string): void {
    const at = this.now();
    prepared(
      this.db,
      `UPDATE workloads SET progress = ?, updated_at = ?, reason = ?,
         finished_at = CASE WHEN ? = 'Running' THEN NULL WHEN state = ? THEN finished_at ELSE ? END,
         state = ?
       WHERE id = ?`,
    ).run(JSON.stringify(progress), at, reason ?? null, state, state, at, state, id);
  }

  /** The ports live service replicas serve on ($PORT): what a new replica's port must not be. */
  replicaPortsInUse(): number[] {
    return (
      prepared(
        this.db,
        `SELECT json_extract(spec, '$.servicePort') AS port FROM jobs
          WHERE owner LIKE ? AND state NOT IN ('Succeeded','Failed','Cancelled')`,
      ).all(`${WORKLOAD_ID_PREFIX.service}%`) as { port: number | null }[]
    ).flatMap((r) => (r.port === null ? [] : [r.port]));
  }

  /** Records a service's status and reason (none: null), and its state when given. */
  setStatus(id: string, status: ServiceStatus, reason?: string, state?: ArrayState): void {
    const at = this.now();
    prepared(
      this.db,
      `UPDATE workloads SET status = ?, updated_at = ?, reason = ?, state = COALESCE(?, state),
         finished_at = CASE WHEN COALESCE(?, state) = 'Running' THEN NULL ELSE COALESCE(finished_at, ?) END
       WHERE id = ?`,
    ).run(JSON.stringify(status), at, reason ?? null, state ?? null, state ?? null, at, id);
  }

  /** Replaces a service's spec (a rolling update): its replicas follow with the status's next generation. */
  setSpec(id: string, spec: NormalizedSpec, status: ServiceStatus): void {
    prepared(this.db, "UPDATE workloads SET spec = ?, status = ?, updated_at = ? WHERE id = ?").run(
      JSON.stringify(spec),
      JSON.stringify(status),
      this.now(),
      id,
    );
  }

  /** Deletes an ended workload (its jobs must be gone already: `gpupool rm` of the array). */
  delete(id: string): void {
    prepared(this.db, "DELETE FROM workloads WHERE id = ?").run(id);
  }
}

function toWorkload(r: WorkloadRow): WorkloadRecord {
  return {
    id: r.id,
    seq: r.seq,
    tenant: r.tenant,
    kind: r.kind,
    clientRequestId: r.client_request_id,
    name: r.name,
    spec: JSON.parse(r.spec) as NormalizedSpec,
    state: r.state,
    reason: r.reason,
    progress: JSON.parse(r.progress) as ArrayProgress,
    status: r.kind === "service" ? (JSON.parse(r.status) as ServiceStatus) : undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}
