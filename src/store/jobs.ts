import { randomBytes } from "node:crypto";
import type { Allocation } from "../core/allocation.js";
import { GpupoolError } from "../core/errors.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import type { ChangeFeed } from "./change-feed.js";
import { type Db, inTransaction, onCommit, prepared } from "./db.js";
import { ownerKind } from "./workload-ids.js";
import { type JobState, LIVE_STATES, PLACED_STATES, assertTransition, isFinished } from "./job-states.js";

/** The submitted job spec as the API accepted and normalised it (validated above the store; stored as JSON). */
export type JobSpecJson = NormalizedSpec;

/** A job as stored. Times are milliseconds since the epoch (UTC); null when not (yet) reached. */
export interface JobRecord {
  readonly id: string;
  /** Submission order across all tenants (FIFO within a priority). */
  readonly seq: number;
  readonly tenant: string;
  readonly clientRequestId: string | null;
  readonly name: string;
  readonly spec: JobSpecJson;
  readonly state: JobState;
  /** Why the job is in its state (e.g. "preempted by job-7", "exit code 3", "lost after restart"). */
  readonly reason: string | null;
  readonly priority: number;
  readonly queue: string;
  /** Gang id: members are placed together or not at all (the scheduler's business; stored to find them). */
  readonly gang: string | null;
  /** The workload (e.g. a batch array) that made this job, and the job's slot there (an array's task). */
  readonly owner: string | null;
  readonly ownerSlot: number | null;
  /** Node and allocation while placed (Scheduled, Starting, Running); kept after it ends for the record. */
  readonly node: string | null;
  readonly allocation: Allocation | null;
  readonly containerId: string | null;
  readonly exitCode: number | null;
  /** Container starts so far (incremented on → Starting). */
  readonly attempts: number;
  /** Not to be scheduled before this time (restart backoff); null = at once. */
  readonly notBefore: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly scheduledAt: number | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface NewJob {
  readonly name: string;
  readonly spec: JobSpecJson;
  readonly priority?: number;
  /** Default "default". */
  readonly queue?: string;
  /** The client's idempotency key: a second submission with it returns the first job. */
  readonly clientRequestId?: string;
  readonly gang?: string;
  /** The workload making this job and its slot there: one job per slot, ever (GP_CONFLICT on a second). */
  readonly owner?: { readonly id: string; readonly slot: number };
}

export interface JobEvent {
  readonly seq: number;
  readonly jobId: string;
  readonly at: number;
  /** "submitted" | "transition" | "container", or a note's type (e.g. "adopted", "image-pulled"). */
  readonly type: string;
  readonly from: JobState | null;
  readonly to: JobState | null;
  readonly reason: string | null;
}

export interface TransitionOptions {
  readonly reason?: string;
  /** Compare-and-set: refuse (GP_ILLEGAL_TRANSITION) unless the job is in one of these states now. */
  readonly from?: JobState | readonly JobState[];
  /** Required on → Scheduled. */
  readonly node?: string;
  readonly allocation?: Allocation;
  readonly containerId?: string;
  readonly exitCode?: number;
  /** On → Pending: earliest time to schedule again (backoff). */
  readonly notBefore?: number;
  /** Compare-and-set on the attempt: refuse (GP_ILLEGAL_TRANSITION) unless the job is on this attempt. */
  readonly attempt?: number;
  /** On → Running: when the container really started (the engine's StartedAt), default now. */
  readonly startedAt?: number;
  /** On an end (Succeeded, Failed, Cancelled, Preempted): when the container really ended (the engine's FinishedAt), default now. */
  readonly finishedAt?: number;
}

/** A pending job as the scheduler's window lists it (see pendingHeads). */
export interface PendingHead {
  readonly id: string;
  readonly tenant: string;
  readonly gang: string | null;
  readonly updatedAt: number;
  readonly priority: number;
  readonly seq: number;
}

export interface JobFilter {
  readonly tenant?: string;
  readonly states?: readonly JobState[];
  readonly queue?: string;
  readonly gang?: string;
  /** Only the jobs this workload owns. */
  readonly owner?: string;
  /** Only jobs with seq greater than this (paging). */
  readonly afterSeq?: number;
  readonly limit?: number;
}

interface JobRow {
  seq: number;
  id: string;
  tenant: string;
  client_request_id: string | null;
  name: string;
  spec: string;
  state: JobState;
  reason: string | null;
  priority: number;
  queue: string;
  gang: string | null;
  owner: string | null;
  owner_slot: number | null;
  node: string | null;
  allocation: string | null;
  container_id: string | null;
  exit_code: number | null;
  attempts: number;
  not_before: number | null;
  created_at: number;
  updated_at: number;
  scheduled_at: number | null;
  started_at: number | null;
  finished_at: number | null;
}

interface EventRow {
  seq: number;
  job_id: string;
  at: number;
  type: string;
  from_state: JobState | null;
  to_state: JobState | null;
  reason: string | null;
}

/**
 * Jobs and their events. Every change of a job is one transaction that also appends its event,
 * so the event log and the job row never disagree, even across kill -9.
 */
export class JobRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly feed?: ChangeFeed,
  ) {}

  private emitAfterCommit(row: JobRow, from: JobState | null): void {
    const feed = this.feed;
    if (!feed) return;
    const change = {
      kind: "job",
      id: row.id,
      tenant: row.tenant,
      gang: row.gang,
      owner: row.owner,
      from,
      to: row.state,
    } as const;
    onCommit(this.db, () => feed.emit(change));
  }

  /**
   * Submits a job as Pending. With a clientRequestId already used by this tenant, returns that
   * job (created: false) when the submission is the same, GP_IDEMPOTENCY_CONFLICT when it differs.
   */
  submit(tenant: string, job: NewJob): { job: JobRecord; created: boolean } {
    return inTransaction(this.db, () => {
      if (!prepared(this.db, "SELECT 1 FROM tenants WHERE name = ?").get(tenant)) {
        throw new GpupoolError("GP_TENANT_NOT_FOUND", `no tenant ${tenant}`, { tenant });
      }
      const queue = job.queue ?? "default";
      const priority = job.priority ?? 0;
      if (job.clientRequestId !== undefined) {
        const row = prepared(this.db, "SELECT * FROM jobs WHERE tenant = ? AND client_request_id = ?").get(
          tenant,
          job.clientRequestId,
        ) as JobRow | undefined;
        if (row) {
          const existing = toJob(row);
          const same =
            existing.name === job.name &&
            existing.gang === (job.gang ?? null) &&
            existing.priority === priority &&
            existing.queue === queue &&
            canonicalJson(existing.spec) === canonicalJson(job.spec);
          if (!same) {
            throw new GpupoolError(
              "GP_IDEMPOTENCY_CONFLICT",
              `client request id ${job.clientRequestId} was already used for job ${existing.id} with a different submission`,
              { jobId: existing.id, clientRequestId: job.clientRequestId },
            );
          }
          return { job: existing, created: false };
        }
      }
      const at = this.now();
      const id = newJobId(at);
      const row = prepared(
        this.db,
        `INSERT INTO jobs (id, tenant, client_request_id, name, spec, state, priority, queue, gang, owner, owner_slot, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'Pending', ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ).get(
        id,
        tenant,
        job.clientRequestId ?? null,
        job.name,
        JSON.stringify(job.spec),
        priority,
        queue,
        job.gang ?? null,
        job.owner?.id ?? null,
        job.owner?.slot ?? null,
        at,
        at,
      ) as JobRow;
      this.addEvent(id, at, "submitted", null, "Pending", null);
      this.emitAfterCommit(row, null);
      return { job: toJob(row), created: true };
    });
  }

  /** How many of the tenant's jobs are live (not Succeeded, Failed or Cancelled): what activeJobs caps. */
  liveCount(tenant: string): number {
    const st = prepared(
      this.db,
      `SELECT count(*) AS n FROM jobs WHERE tenant = ? AND state IN (${LIVE_STATES.map(() => "?").join(", ")})`,
    );
    return (st.get(tenant, ...LIVE_STATES) as { n: number }).n;
  }

  /** Whether the tenant already submitted with this client request id (a job, or a gang's rank 0). */
  hasClientRequest(tenant: string, clientRequestId: string): boolean {
    return (
      prepared(this.db, "SELECT 1 FROM jobs WHERE tenant = ? AND client_request_id IN (?, ?)").get(
        tenant,
        clientRequestId,
        `${clientRequestId}#0`,
      ) !== undefined
    );
  }

  get(id: string): JobRecord | undefined {
    const row = prepared(this.db, "SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  /** The state and attempt count of a job, without reading (and parsing) its whole row. */
  stateOf(id: string): { state: JobState; attempts: number } | undefined {
    return prepared(this.db, "SELECT state, attempts FROM jobs WHERE id = ?").get(id) as
      | { state: JobState; attempts: number }
      | undefined;
  }

  private current(id: string): { state: JobState; attempts: number } {
    const row = this.stateOf(id);
    if (!row) throw new GpupoolError("GP_JOB_NOT_FOUND", `no job ${id}`, { jobId: id });
    return row;
  }

  /**
   * The reason of a stop begun for the job's current attempt and not yet recorded as a transition
   * (a "stopping" note after the last transition event), e.g. when gpupool was killed mid-stop.
   */
  pendingStop(jobId: string): string | undefined {
    const row = prepared(
      this.db,
      `SELECT reason FROM job_events WHERE job_id = ? AND type = 'stopping' AND seq >
         (SELECT COALESCE(MAX(seq), 0) FROM job_events WHERE job_id = ? AND type = 'transition')
       ORDER BY seq DESC LIMIT 1`,
    ).get(jobId, jobId) as { reason: string | null } | undefined;
    return row?.reason ?? undefined;
  }

  require(id: string): JobRecord {
    const job = this.get(id);
    if (!job) throw new GpupoolError("GP_JOB_NOT_FOUND", `no job ${id}`, { jobId: id });
    return job;
  }

  list(filter: JobFilter = {}): JobRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.tenant !== undefined) {
      where.push("tenant = ?");
      args.push(filter.tenant);
    }
    if (filter.states && filter.states.length > 0) {
      where.push(`state IN (${filter.states.map(() => "?").join(", ")})`);
      args.push(...filter.states);
    }
    if (filter.queue !== undefined) {
      where.push("queue = ?");
      args.push(filter.queue);
    }
    if (filter.gang !== undefined) {
      where.push("gang = ?");
      args.push(filter.gang);
    }
    if (filter.owner !== undefined) {
      where.push("owner = ?");
      args.push(filter.owner);
    }
    if (filter.afterSeq !== undefined) {
      where.push("seq > ?");
      args.push(filter.afterSeq);
    }
    const sql = `SELECT * FROM jobs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq LIMIT ?`;
    return (prepared(this.db, sql).all(...args, filter.limit ?? -1) as JobRow[]).map(toJob);
  }

  /**
   * The heads of the pending queue whose backoff has passed, highest priority first, then in
   * submission order: the first `window` overall, each listed tenant's first `perTenant`, and the
   * pending members of every gang among those. Bounded LIMIT queries on indexes, so the cost does
   * not grow with the backlog.
   */
  pendingHeads(
    now: number,
    opts: { window: number; perTenant: number; tenants: readonly string[] },
  ): PendingHead[] {
    const cols = "id, tenant, gang, updated_at AS updatedAt, priority, seq";
    const ready = "state = 'Pending' AND (not_before IS NULL OR not_before <= ?)";
    const rows = new Map<string, PendingHead>();
    const add = (list: unknown[]) => {
      for (const r of list as PendingHead[]) rows.set(r.id, r);
    };
    add(
      prepared(this.db, `SELECT ${cols} FROM jobs WHERE ${ready} ORDER BY priority DESC, seq LIMIT ?`).all(
        now,
        opts.window,
      ),
    );
    const byTenant = prepared(
      this.db,
      `SELECT ${cols} FROM jobs WHERE ${ready} AND tenant = ? ORDER BY priority DESC, seq LIMIT ?`,
    );
    for (const t of opts.tenants) add(byTenant.all(now, t, opts.perTenant));
    const gangs = new Set<string>();
    for (const r of rows.values()) if (r.gang !== null) gangs.add(r.gang);
    const members = prepared(this.db, `SELECT ${cols} FROM jobs WHERE ${ready} AND gang = ?`);
    for (const g of gangs) add(members.all(now, g));
    return [...rows.values()].sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  }

  /**
   * Moves a job to another state if the state machine allows it (else GP_ILLEGAL_TRANSITION and
   * nothing changes), updating the fields that go with the new state and appending the event,
   * all in one transaction.
   */
  transition(id: string, to: JobState, opts: TransitionOptions = {}): JobRecord {
    return inTransaction(this.db, () => {
      const job = this.current(id);
      const expected =
        opts.from === undefined ? undefined : typeof opts.from === "string" ? [opts.from] : opts.from;
      if (expected && !expected.includes(job.state)) {
        throw new GpupoolError(
          "GP_ILLEGAL_TRANSITION",
          `job ${id} is ${job.state}, not ${expected.join(" or ")}, so it cannot go to ${to}`,
          { jobId: id, from: job.state, to, expected },
        );
      }
      if (opts.attempt !== undefined && opts.attempt !== job.attempts) {
        throw new GpupoolError(
          "GP_ILLEGAL_TRANSITION",
          `job ${id} is on attempt ${job.attempts}, not ${opts.attempt}, so that attempt cannot move it to ${to}`,
          { jobId: id, from: job.state, to, attempt: opts.attempt },
        );
      }
      assertTransition(id, job.state, to);
      const at = this.now();
      const set: Record<string, unknown> = { state: to, reason: opts.reason ?? null, updated_at: at };
      if (to === "Scheduled") {
        if (!opts.node || !opts.allocation) {
          throw new GpupoolError(
            "GP_INVALID_ARGUMENT",
            `job ${id}: → Scheduled needs the node and the allocation`,
            { jobId: id },
          );
        }
        Object.assign(set, {
          node: opts.node,
          allocation: JSON.stringify(opts.allocation),
          scheduled_at: at,
          container_id: null,
          exit_code: null,
        });
      }
      if (to === "Starting") set.attempts = job.attempts + 1;
      if (to === "Running") set.started_at = opts.startedAt ?? at;
      if (to === "Pending") Object.assign(set, { not_before: opts.notBefore ?? null, finished_at: null });
      if (!PLACED_STATES.has(to) && to !== "Pending") set.finished_at = Math.min(opts.finishedAt ?? at, at);
      if (opts.containerId !== undefined) set.container_id = opts.containerId;
      if (opts.exitCode !== undefined) set.exit_code = opts.exitCode;
      const cols = Object.keys(set);
      const row = prepared(
        this.db,
        `UPDATE jobs SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE id = ? RETURNING *`,
      ).get(...cols.map((c) => set[c]), id) as JobRow;
      this.addEvent(id, at, "transition", job.state, to, opts.reason ?? null);
      this.emitAfterCommit(row, job.state);
      return toJob(row);
    });
  }

  /**
   * Places a Pending job and begins its attempt in one write: Pending → Scheduled → Starting, as two
   * transition events (and two change-feed entries) like two transition() calls, but one UPDATE of
   * the row. The scheduling loop's bind does this for every job it places, so it is worth the
   * special case; GP_ILLEGAL_TRANSITION (nothing written) when the job is no longer Pending.
   */
  bindAndStart(
    id: string,
    opts: { node: string; allocation: Allocation; placedReason: string; startReason: string },
  ): JobRecord {
    return inTransaction(this.db, () => {
      const job = this.current(id);
      if (job.state !== "Pending")
        throw new GpupoolError(
          "GP_ILLEGAL_TRANSITION",
          `job ${id} is ${job.state}, not Pending, so it cannot go to Scheduled`,
          { jobId: id, from: job.state, to: "Scheduled", expected: ["Pending"] },
        );
      const at = this.now();
      const row = prepared(
        this.db,
        `UPDATE jobs SET state = 'Starting', reason = ?, updated_at = ?, node = ?, allocation = ?,
           scheduled_at = ?, container_id = NULL, exit_code = NULL, attempts = attempts + 1
         WHERE id = ? RETURNING *`,
      ).get(opts.startReason, at, opts.node, JSON.stringify(opts.allocation), at, id) as JobRow;
      this.addEvent(id, at, "transition", "Pending", "Scheduled", opts.placedReason);
      this.addEvent(id, at, "transition", "Scheduled", "Starting", opts.startReason);
      this.emitAfterCommit({ ...row, state: "Scheduled" }, "Pending");
      this.emitAfterCommit(row, "Scheduled");
      return toJob(row);
    });
  }

  /** Records the container of the current attempt (Starting or Running), with an event. */
  recordContainer(id: string, containerId: string): JobRecord {
    return inTransaction(this.db, () => {
      const job = this.current(id);
      if (job.state !== "Starting" && job.state !== "Running") {
        throw new GpupoolError(
          "GP_ILLEGAL_TRANSITION",
          `job ${id} is ${job.state}; a container is recorded only while Starting or Running`,
          {
            jobId: id,
            from: job.state,
          },
        );
      }
      const at = this.now();
      const row = prepared(
        this.db,
        "UPDATE jobs SET container_id = ?, updated_at = ? WHERE id = ? RETURNING *",
      ).get(containerId, at, id) as JobRow;
      this.addEvent(id, at, "container", job.state, job.state, `container ${containerId}`);
      return toJob(row);
    });
  }

  /**
   * Appends an event that changes no state (e.g. "adopted" after a restart, "image-pulled"), in
   * its own transaction. The state recorded is the job's current one.
   */
  note(jobId: string, type: string, reason: string): JobEvent {
    return inTransaction(this.db, () => {
      const job = this.current(jobId);
      const at = this.now();
      const seq = this.addEvent(jobId, at, type, job.state, job.state, reason);
      return { seq, jobId, at, type, from: job.state, to: job.state, reason };
    });
  }

  /**
   * Deletes a finished job's record and its events (`gpupool rm`), in one transaction, and returns
   * the record as it was. Its metered usage stays its tenant's (usage rows outlive their job). A live
   * job is refused (GP_JOB_NOT_FINISHED): stop it first. No change is emitted: a finished job is no
   * longer placed nor pending, so nothing follows it.
   */
  delete(id: string): JobRecord {
    return inTransaction(this.db, () => {
      const job = this.require(id);
      if (!isFinished(job.state))
        throw new GpupoolError(
          "GP_JOB_NOT_FINISHED",
          `job ${id} is ${job.state}; only a finished job (Succeeded, Failed, Cancelled) is deleted`,
          { jobId: id, state: job.state },
        );
      // A running array would make the task again (its slot looks never made): its tasks go with it.
      // A service's finished replica may go (its slots only grow).
      if (
        job.owner !== null &&
        prepared(
          this.db,
          "SELECT 1 FROM workloads WHERE id = ? AND state = 'Running' AND kind = 'array'",
        ).get(job.owner)
      )
        throw new GpupoolError(
          "GP_JOB_NOT_FINISHED",
          `job ${id} is a task of array ${job.owner}, which is still running; its tasks are deleted with it once it ends (gpupool rm ${job.owner})`,
          { jobId: id, array: job.owner },
        );
      prepared(this.db, "DELETE FROM job_events WHERE job_id = ?").run(id);
      prepared(this.db, "DELETE FROM jobs WHERE id = ?").run(id);
      // A gang is its members: it goes with the last of them.
      if (
        ownerKind(job.owner) === "gang" &&
        !prepared(this.db, "SELECT 1 FROM jobs WHERE owner = ?").get(job.owner)
      )
        prepared(this.db, "DELETE FROM workloads WHERE id = ?").run(job.owner);
      return job;
    });
  }

  events(jobId: string): JobEvent[] {
    return (
      prepared(this.db, "SELECT * FROM job_events WHERE job_id = ? ORDER BY seq").all(jobId) as EventRow[]
    ).map(toEvent);
  }

  /**
   * Events after `afterSeq`, oldest first (to tail the event log, e.g. for a watch API): every job's,
   * or one tenant's (on the index job_events_tenant, so a page is full however many events other
   * tenants have).
   */
  eventsSince(afterSeq: number, limit = 1000, tenant?: string): JobEvent[] {
    const rows =
      tenant === undefined
        ? prepared(this.db, "SELECT * FROM job_events WHERE seq > ? ORDER BY seq LIMIT ?").all(
            afterSeq,
            limit,
          )
        : prepared(this.db, "SELECT * FROM job_events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?").all(
            tenant,
            afterSeq,
            limit,
          );
    return (rows as EventRow[]).map(toEvent);
  }

  private addEvent(
    jobId: string,
    at: number,
    type: string,
    from: JobState | null,
    to: JobState | null,
    reason: string | null,
  ): number {
    return Number(
      prepared(
        this.db,
        `INSERT INTO job_events (job_id, tenant, at, type, from_state, to_state, reason)
           VALUES (?, (SELECT tenant FROM jobs WHERE id = ?), ?, ?, ?, ?, ?)`,
      ).run(jobId, jobId, at, type, from, to, reason).lastInsertRowid,
    );
  }
}

/** Job ids: "j-" + time (base36 ms) + 8 random hex digits; sortable by creation, unguessable enough for logs. */
function newJobId(at: number): string {
  return `j-${at.toString(36)}${randomBytes(4).toString("hex")}`;
}

/** JSON with object keys sorted at every level, so equal specs compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

function toEvent(r: EventRow): JobEvent {
  return {
    seq: r.seq,
    jobId: r.job_id,
    at: r.at,
    type: r.type,
    from: r.from_state,
    to: r.to_state,
    reason: r.reason,
  };
}

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    seq: row.seq,
    tenant: row.tenant,
    clientRequestId: row.client_request_id,
    name: row.name,
    spec: JSON.parse(row.spec) as JobSpecJson,
    state: row.state,
    reason: row.reason,
    priority: row.priority,
    queue: row.queue,
    gang: row.gang,
    owner: row.owner,
    ownerSlot: row.owner_slot,
    node: row.node,
    allocation: row.allocation === null ? null : (JSON.parse(row.allocation) as Allocation),
    containerId: row.container_id,
    exitCode: row.exit_code,
    attempts: row.attempts,
    notBefore: row.not_before,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
