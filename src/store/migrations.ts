import { GpupoolError } from "../core/errors.js";
import { type Db, inTransaction, prepared } from "./db.js";

export interface Migration {
  /** 1, 2, 3, … — never reused, never edited once released; add a new one instead. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The schema, as ordered migrations. Times are INTEGER milliseconds since the Unix epoch (UTC);
 * JSON columns hold JSON text. usage.gpu_milli_ms is GPU milli (1000 = one GPU) × milliseconds held,
 * exact in integers: 1 GPU for 1 s = 1_000_000. Job states are checked by the table so even a bug in the code above
 * cannot store an unknown one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "tenants, tokens, jobs, events, usage",
    sql: `
      CREATE TABLE tenants (
        name        TEXT PRIMARY KEY,
        quotas      TEXT NOT NULL DEFAULT '{}',
        created_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        tenant       TEXT NOT NULL REFERENCES tenants(name) ON DELETE CASCADE,
        name         TEXT NOT NULL DEFAULT '',
        prefix       TEXT NOT NULL,
        hash         TEXT NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at   INTEGER
      ) STRICT;
      CREATE INDEX api_tokens_tenant ON api_tokens(tenant);

      CREATE TABLE jobs (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        id                TEXT NOT NULL UNIQUE,
        tenant            TEXT NOT NULL REFERENCES tenants(name),
        client_request_id TEXT,
        name              TEXT NOT NULL,
        spec              TEXT NOT NULL,
        state             TEXT NOT NULL CHECK (state IN
                            ('Pending','Scheduled','Starting','Running','Succeeded','Failed','Preempted','Cancelled')),
        reason            TEXT,
        priority          INTEGER NOT NULL DEFAULT 0,
        queue             TEXT NOT NULL,
        gang              TEXT,
        node              TEXT,
        allocation        TEXT,
        container_id      TEXT,
        exit_code         INTEGER,
        attempts          INTEGER NOT NULL DEFAULT 0,
        not_before        INTEGER,
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL,
        scheduled_at      INTEGER,
        started_at        INTEGER,
        finished_at       INTEGER,
        UNIQUE (tenant, client_request_id)
      ) STRICT;
      CREATE INDEX jobs_state ON jobs(state, priority DESC, seq);
      CREATE INDEX jobs_tenant ON jobs(tenant, seq);
      CREATE INDEX jobs_gang ON jobs(gang) WHERE gang IS NOT NULL;

      CREATE TABLE job_events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        at         INTEGER NOT NULL,
        type       TEXT NOT NULL,
        from_state TEXT,
        to_state   TEXT,
        reason     TEXT
      ) STRICT;
      CREATE INDEX job_events_job ON job_events(job_id, seq);

      CREATE TABLE usage (
        job_id            TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        tenant            TEXT NOT NULL REFERENCES tenants(name),
        gpu_milli_ms      INTEGER NOT NULL DEFAULT 0,
        updated_at        INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX usage_tenant ON usage(tenant);
    `,
  },
  {
    version: 2,
    name: "instance identity",
    // instance_id: names this data directory's gpupool on the containers it creates
    // (label io.gpupool.instance), so two gpupools on one engine never adopt each other's.
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      INSERT INTO meta (key, value) VALUES ('instance_id', lower(hex(randomblob(8))));
    `,
  },
  {
    version: 3,
    name: "pending jobs by tenant",
    // The scheduler reads each tenant's first pending jobs every cycle (JobRepo.pendingHeads): with
    // only jobs_tenant (tenant, seq) that walked the tenant's whole history.
    sql: `
      CREATE INDEX jobs_pending_tenant ON jobs(state, tenant, priority DESC, seq);
    `,
  },
  {
    version: 4,
    name: "job names; usage outlives its job",
    // Names: `gpupool logs NAME` and the API's check that a name is free among the tenant's live jobs
    // look jobs up by name and by the name given in their spec (a gang's, whose members are NAME-RANK).
    // Neither index holds the state: a transition then leaves them alone (and never re-reads the spec).
    // Usage: `gpupool rm` deletes a job's record, but its metered GPU time stays its tenant's (GPU-second
    // budgets, /v1/usage), so usage.job_id no longer references jobs. SQLite cannot drop a constraint:
    // the table is rebuilt.
    sql: `
      CREATE INDEX jobs_tenant_name ON jobs(tenant, name);
      CREATE INDEX jobs_tenant_given_name ON jobs(tenant, json_extract(spec, '$.name'));

      CREATE TABLE usage_v4 (
        job_id            TEXT PRIMARY KEY,
        tenant            TEXT NOT NULL REFERENCES tenants(name),
        gpu_milli_ms      INTEGER NOT NULL DEFAULT 0,
        updated_at        INTEGER NOT NULL
      ) STRICT;
      INSERT INTO usage_v4 (job_id, tenant, gpu_milli_ms, updated_at)
        SELECT job_id, tenant, gpu_milli_ms, updated_at FROM usage;
      DROP TABLE usage;
      ALTER TABLE usage_v4 RENAME TO usage;
      CREATE INDEX usage_tenant ON usage(tenant);
    `,
  },
  {
    version: 5,
    name: "events by tenant; usage totals per tenant",
    // Events: GET /v1/events filtered a tenant's events after its LIMIT (short pages); each event now
    // carries its job's tenant, on an index, so the filter is part of the query. Usage: GET /v1/usage
    // summed every usage row of every tenant (0.45 s at 10,000 jobs); usage_totals keeps each tenant's
    // sum, kept by triggers in the transaction that writes the usage row, so it cannot drift from it.
    sql: `
      ALTER TABLE job_events ADD COLUMN tenant TEXT;
      UPDATE job_events SET tenant = (SELECT tenant FROM jobs WHERE jobs.id = job_events.job_id);
      CREATE INDEX job_events_tenant ON job_events(tenant, seq);

      CREATE TABLE usage_totals (
        tenant       TEXT PRIMARY KEY,
        gpu_milli_ms INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      INSERT INTO usage_totals (tenant, gpu_milli_ms)
        SELECT tenant, SUM(gpu_milli_ms) FROM usage GROUP BY tenant;
      CREATE TRIGGER usage_totals_insert AFTER INSERT ON usage BEGIN
        INSERT INTO usage_totals (tenant, gpu_milli_ms) VALUES (NEW.tenant, NEW.gpu_milli_ms)
          ON CONFLICT (tenant) DO UPDATE SET gpu_milli_ms = gpu_milli_ms + excluded.gpu_milli_ms;
      END;
      CREATE TRIGGER usage_totals_update AFTER UPDATE OF gpu_milli_ms, tenant ON usage BEGIN
        UPDATE usage_totals SET gpu_milli_ms = gpu_milli_ms - OLD.gpu_milli_ms WHERE tenant = OLD.tenant;
        INSERT INTO usage_totals (tenant, gpu_milli_ms) VALUES (NEW.tenant, NEW.gpu_milli_ms)
          ON CONFLICT (tenant) DO UPDATE SET gpu_milli_ms = gpu_milli_ms + excluded.gpu_milli_ms;
      END;
      CREATE TRIGGER usage_totals_delete AFTER DELETE ON usage BEGIN
        UPDATE usage_totals SET gpu_milli_ms = gpu_milli_ms - OLD.gpu_milli_ms WHERE tenant = OLD.tenant;
      END;
    `,
  },
  {
    version: 6,
    name: "pending jobs by tenant: pending jobs only",
    // jobs_pending_tenant held every job, keyed by state, so each of a job's transitions moved its
    // entry; its only reader (JobRepo.pendingHeads' per-tenant query) asks for state = 'Pending'. As a
    // partial index it changes when a job enters or leaves Pending, not at Starting, Running or its end.
    sql: `
      DROP INDEX jobs_pending_tenant;
      CREATE INDEX jobs_pending_tenant ON jobs(tenant, priority DESC, seq) WHERE state = 'Pending';
    `,
  },
  {
    version: 7,
    name: "workloads that own jobs (batch arrays)",
    // A workload is what a user asked for as a whole (an array: one spec, many indexes); its jobs are
    // made from it by a reconciler (agent/array-reconciler.ts). A job names its owner and its slot
    // there (an array's task number); the unique index makes creating a slot's job twice impossible,
    // whatever a crash interrupts. progress: the counts the reconciler last wrote (core/array.ts).
    sql: `
      CREATE TABLE workloads (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        id                TEXT NOT NULL UNIQUE,
        tenant            TEXT NOT NULL REFERENCES tenants(name) ON DELETE CASCADE,
        kind              TEXT NOT NULL CHECK (kind IN ('array')),
        client_request_id TEXT,
        name              TEXT NOT NULL,
        spec              TEXT NOT NULL,
        state             TEXT NOT NULL CHECK (state IN ('Running','Succeeded','Failed','Cancelled')),
        reason            TEXT,
        progress          TEXT NOT NULL DEFAULT '{}',
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL,
        finished_at       INTEGER,
        UNIQUE (tenant, client_request_id)
      ) STRICT;
      CREATE INDEX workloads_tenant ON workloads(tenant, seq);
      CREATE INDEX workloads_tenant_name ON workloads(tenant, name);
      CREATE INDEX workloads_running ON workloads(seq) WHERE state = 'Running';

      ALTER TABLE jobs ADD COLUMN owner TEXT;
      ALTER TABLE jobs ADD COLUMN owner_slot INTEGER;
      CREATE UNIQUE INDEX jobs_owner_slot ON jobs(owner, owner_slot) WHERE owner IS NOT NULL;
    `,
  },
  {
    version: 8,
    name: "services: a second kind of workload, with its status",
    // SQLite cannot change a CHECK constraint in place: the table is rebuilt with 'service' allowed,
    // and 'gang' for when gangs move here (one rebuild, not two; nothing references workloads by
    // key: jobs.owner holds the id as text). status: what the
    // service reconciler (agent/service-reconciler.ts) keeps between reconciles: desired replicas,
    // the spec generation, the autoscaler's last scale and idle time (core/service.ts).
    sql: `
      CREATE TABLE workloads_v8 (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        id                TEXT NOT NULL UNIQUE,
        tenant            TEXT NOT NULL REFERENCES tenants(name) ON DELETE CASCADE,
        kind              TEXT NOT NULL CHECK (kind IN ('array','service','gang')),
        client_request_id TEXT,
        name              TEXT NOT NULL,
        spec              TEXT NOT NULL,
        state             TEXT NOT NULL CHECK (state IN ('Running','Succeeded','Failed','Cancelled')),
        reason            TEXT,
        progress          TEXT NOT NULL DEFAULT '{}',
        status            TEXT NOT NULL DEFAULT '{}',
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL,
        finished_at       INTEGER,
        UNIQUE (tenant, client_request_id)
      ) STRICT;
      INSERT INTO workloads_v8 (seq, id, tenant, kind, client_request_id, name, spec, state, reason,
                                progress, created_at, updated_at, finished_at)
        SELECT seq, id, tenant, kind, client_request_id, name, spec, state, reason, progress,
               created_at, updated_at, finished_at FROM workloads;
      DROP TABLE workloads;
      ALTER TABLE workloads_v8 RENAME TO workloads;
      CREATE INDEX workloads_tenant ON workloads(tenant, seq);
      CREATE INDEX workloads_tenant_name ON workloads(tenant, name);
      CREATE INDEX workloads_running ON workloads(seq) WHERE state = 'Running';
    `,
  },
];

/**
 * Brings the database up to the newest migration, each in its own transaction together with its
 * row in schema_migrations; re-running is a no-op. A database newer than this code (a version
 * it does not know) is refused with GP_STORE_SCHEMA rather than touched.
 */
export function migrate(
  db: Db,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => number = Date.now,
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const known = new Set(migrations.map((m) => m.version));
  const applied = new Set(
    (prepared(db, "SELECT version FROM schema_migrations").all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const unknown = [...applied].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new GpupoolError(
      "GP_STORE_SCHEMA",
      `the database has schema version(s) ${unknown.join(", ")} this gpupool does not know (newest known: ${Math.max(0, ...known)})`,
    );
  }
  const ran: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    inTransaction(db, () => {
      db.exec(m.sql);
      prepared(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        now(),
      );
    });
    ran.push(m.version);
  }
  return ran;
}
