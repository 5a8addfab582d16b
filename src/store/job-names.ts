import { type Db, prepared } from "./db.js";
import { type JobState, LIVE_STATES } from "./job-states.js";

/** A job as a lookup by name or id prefix finds it: enough to choose one and to list candidates. */
export interface JobRef {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  /**
   * The name given in the job's spec: its own name, or for a gang member its gang's (members are
   * named GIVEN-RANK). null when the stored spec has none (store tests' opaque specs).
   */
  readonly given: string | null;
  readonly gang: string | null;
  readonly state: JobState;
  readonly seq: number;
}

const COLS = "id, tenant, name, json_extract(spec, '$.name') AS given, gang, state, seq";
const LIVE = `state IN (${LIVE_STATES.map((s) => `'${s}'`).join(", ")})`;

/** The lookups' SQL (exported for the test that checks each runs on an index). */
export const JOB_NAME_SQL = {
  liveHolders: `SELECT ${COLS} FROM jobs WHERE tenant = @tenant AND name = @name AND ${LIVE}
    UNION SELECT ${COLS} FROM jobs WHERE tenant = @tenant AND json_extract(spec, '$.name') = @name AND ${LIVE}`,
  named: `SELECT ${COLS} FROM jobs WHERE tenant = @tenant AND name = @name
    UNION SELECT ${COLS} FROM jobs WHERE tenant = @tenant AND json_extract(spec, '$.name') = @name`,
  // A range on the id's unique index (ids are ASCII: nothing sorts after prefix + U+FFFF); `+tenant`
  // keeps SQLite from walking the tenant's whole history on jobs_tenant instead.
  withIdPrefix: `SELECT ${COLS} FROM jobs WHERE id >= @from AND id < @to AND +tenant = @tenant ORDER BY id LIMIT @limit`,
} as const;

/**
 * Jobs by name and by id prefix, one tenant at a time, on the indexes of migration 4. A job holds
 * a name under its own name and under the name given in its spec (its gang's), so the gang `train`
 * and its member `train-0` are both found. Which job a reference means, and whether a name may be
 * taken, is decided above the store (the API's rules).
 */
export class JobNames {
  constructor(private readonly db: Db) {}

  /** The tenant's live jobs (not Succeeded, Failed or Cancelled) that hold one of `names`, oldest first. */
  liveHolders(tenant: string, names: readonly string[]): JobRef[] {
    const found = new Map<string, JobRef>();
    const st = prepared(this.db, JOB_NAME_SQL.liveHolders);
    for (const name of names) for (const r of st.all({ tenant, name }) as JobRef[]) found.set(r.id, r);
    return [...found.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Every job of the tenant that holds `name`, live or finished, newest first. */
  named(tenant: string, name: string): JobRef[] {
    // Sorted here: an ORDER BY would have SQLite walk jobs_tenant in seq order instead of the name indexes.
    const refs = prepared(this.db, JOB_NAME_SQL.named).all({ tenant, name }) as JobRef[];
    return refs.sort((a, b) => b.seq - a.seq);
  }

  /** The tenant's jobs whose id starts with `prefix`, in id order, at most `limit` of them. */
  withIdPrefix(tenant: string, prefix: string, limit: number): JobRef[] {
    return prepared(this.db, JOB_NAME_SQL.withIdPrefix).all({
      from: prefix,
      to: `${prefix}\uffff`,
      tenant,
      limit,
    }) as JobRef[];
  }
}
