import { mkdirSync } from "node:fs";
import { ChangeFeed } from "./change-feed.js";
import { WorkloadRepo } from "./workloads.js";
import { type Checkpointer, startCheckpointer } from "./checkpointer.js";
import { type Db, onCommit, openDatabase, prepared } from "./db.js";
import { JobNames } from "./job-names.js";
import { type JobEvent, type JobFilter, type JobRecord, JobRepo, type NewJob } from "./jobs.js";
import { migrate } from "./migrations.js";
import {
  checkHeader,
  checkIntegrity,
  checkSameStore,
  checkStorePresent,
  type IntegrityCheck,
  storeFiles,
  writeMarker,
} from "./store-guard.js";
import { TenantRepo } from "./tenants.js";
import { TokenRepo } from "./tokens.js";
import { type Usage, UsageRepo } from "./usage.js";

export interface StoreOptions {
  /** Milliseconds since the epoch; injectable for deterministic tests. Default Date.now. */
  readonly now?: () => number;
  /** How long a write waits for another process's write lock before GP_STORE_BUSY (default 5000). */
  readonly busyTimeoutMs?: number;
  /**
   * Checkpoint the WAL from a worker thread every this many ms instead of inside commits (see
   * checkpointer.ts); the server turns it on. Ignored for ":memory:".
   */
  readonly backgroundCheckpointMs?: number;
  /**
   * openDir: how the database is checked before use (store-guard.ts): "quick" (default, PRAGMA
   * quick_check), "full" (integrity_check) or "none".
   */
  readonly integrityCheck?: IntegrityCheck;
}

/** The file under a data directory (`gpupool up --data DIR`) that holds the store. */
export const STORE_FILE = "gpupool.db";

/**
 * gpupool's state in one SQLite file: tenants, API tokens, jobs with their event log, and metered
 * usage. The repositories below are the admin view (every tenant); `forTenant` gives the view an
 * API request authenticated as one tenant may use, which cannot see or touch other tenants' jobs.
 */
export class Store {
  readonly tenants: TenantRepo;
  readonly tokens: TokenRepo;
  readonly jobs: JobRepo;
  /** Jobs by name and id prefix (job-names.ts). */
  readonly jobNames: JobNames;
  readonly usage: UsageRepo;
  /** Workloads that own jobs: batch arrays (workloads.ts). */
  readonly workloads: WorkloadRepo;
  /** Committed changes of jobs and tenants (see change-feed.ts). */
  readonly changes: ChangeFeed;

  private constructor(
    readonly db: Db,
    readonly path: string,
    now: () => number,
    private readonly checkpointer?: Checkpointer,
  ) {
    this.changes = new ChangeFeed();
    const feed = this.changes;
    this.tenants = new TenantRepo(db, now, (name) => onCommit(db, () => feed.emit({ kind: "tenant", name })));
    this.tokens = new TokenRepo(db, now);
    const tokens = this.tokens;
    // A token remembered as valid must not outlive its tenant (or a change to it).
    feed.subscribe((c) => {
      if (c.kind === "tenant") tokens.forget();
    });
    this.jobs = new JobRepo(db, now, feed);
    this.jobNames = new JobNames(db);
    this.usage = new UsageRepo(db, now);
    this.workloads = new WorkloadRepo(db, now);
  }

  /** Opens the store file at `path` (":memory:" for tests), applying any pending migrations. */
  static open(path: string, opts: StoreOptions = {}): Store {
    return Store.openChecked(path, opts, () => {});
  }

  /** open(), with `check` run on the database before any migration touches it. */
  private static openChecked(path: string, opts: StoreOptions, check: (db: Db) => void): Store {
    const db = openDatabase(path, opts.busyTimeoutMs);
    try {
      check(db);
      migrate(db, undefined, opts.now);
    } catch (err) {
      db.close();
      throw err;
    }
    const checkpointer =
      opts.backgroundCheckpointMs && path !== ":memory:"
        ? startCheckpointer(path, { intervalMs: opts.backgroundCheckpointMs })
        : undefined;
    return new Store(db, path, opts.now ?? Date.now, checkpointer);
  }

  /**
   * Opens <dataDir>/gpupool.db, creating the directory if needed, and refuses a store that is not
   * there any more or is damaged (store-guard.ts): GP_STORE_MISSING when the directory had a store
   * whose file is missing, empty or another store's; GP_STORE_CORRUPT when it is not a SQLite file
   * or fails the integrity check. A new store's directory gets its marker.
   */
  static openDir(dataDir: string, opts: StoreOptions = {}): Store {
    mkdirSync(dataDir, { recursive: true });
    const files = storeFiles(dataDir, STORE_FILE);
    const marker = checkStorePresent(dataDir, files);
    checkHeader(files.db);
    const store = Store.openChecked(files.db, opts, (db) =>
      checkIntegrity(db, files.db, opts.integrityCheck ?? "quick"),
    );
    try {
      const id = store.instanceId();
      if (marker) checkSameStore(dataDir, files, marker, id);
      else writeMarker(files, id, opts.now);
    } catch (err) {
      void store.checkpointer?.stop();
      store.db.close();
      throw err;
    }
    return store;
  }

  /** This data directory's random id (16 hex digits), made once by migration 2; label io.gpupool.instance. */
  instanceId(): string {
    return (prepared(this.db, "SELECT value FROM meta WHERE key = 'instance_id'").get() as { value: string })
      .value;
  }

  forTenant(tenant: string): TenantView {
    this.tenants.require(tenant);
    return new TenantView(this, tenant);
  }

  /** Checkpoints the WAL into the main file and closes. Safe to skip: a crash loses nothing committed. */
  close(): void {
    void this.closeAndWait();
  }

  /**
   * close(), done at once as close() is (an error is thrown, not a rejection); the promise settles
   * once the checkpoint worker has exited too: then no file of the store is open.
   */
  closeAndWait(): Promise<void> {
    const workerExited = this.checkpointer?.stop() ?? Promise.resolve();
    if (this.db.open) {
      if (this.path !== ":memory:") this.db.pragma("wal_checkpoint(TRUNCATE)");
      this.db.close();
    }
    return workerExited;
  }
}

/** One tenant's view: every read and write is confined to its jobs (another tenant's job is "not found"). */
export class TenantView {
  constructor(
    private readonly store: Store,
    readonly tenant: string,
  ) {}

  submit(job: NewJob): { job: JobRecord; created: boolean } {
    return this.store.jobs.submit(this.tenant, job);
  }

  get(id: string): JobRecord | undefined {
    const job = this.store.jobs.get(id);
    return job && job.tenant === this.tenant ? job : undefined;
  }

  list(filter: Omit<JobFilter, "tenant"> = {}): JobRecord[] {
    return this.store.jobs.list({ ...filter, tenant: this.tenant });
  }

  /** The job's events, or undefined when the job is not this tenant's. */
  events(id: string): JobEvent[] | undefined {
    return this.get(id) ? this.store.jobs.events(id) : undefined;
  }

  usage(): Usage {
    return this.store.usage.ofTenant(this.tenant);
  }

  jobUsage(id: string): Usage | undefined {
    return this.get(id) ? this.store.usage.ofJob(id) : undefined;
  }
}
