import Database from "better-sqlite3";
import { GpupoolError } from "../core/errors.js";

export type Db = Database.Database;

/**
 * Opens (creating if needed) a SQLite database the way the store needs it: WAL journal (readers
 * never block the writer), synchronous=NORMAL (a committed transaction is in the WAL before commit
 * returns, so it survives kill -9 of gpupool; an OS crash or power loss may lose the last commits
 * but never corrupts the database — SQLite's documented WAL trade-off; FULL fsyncs every commit and
 * capped submissions at ~200/s here), foreign keys enforced, and a busy timeout (default 5 s) before
 * GP_STORE_BUSY.
 */
export function openDatabase(path: string, busyTimeoutMs = 5000): Db {
  let db: Db;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
  } catch (err) {
    // e.g. "Cannot open database because the directory does not exist" (a TypeError, no code)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `cannot open gpupool's store at ${path}: ${(err as Error).message}; check --data`,
    );
  }
  try {
    if (path !== ":memory:") {
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal")
        throw new GpupoolError("GP_INTERNAL", `SQLite refused WAL mode for ${path} (got ${String(mode)})`);
    }
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    return db;
  } catch (err) {
    db.close();
    throw mapSqliteError(err, `configuring ${path}`);
  }
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** `db.prepare(sql)`, compiled once per database and reused (the store runs a few dozen fixed statements). */
export function prepared(db: Db, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let st = cache.get(sql);
  if (!st) {
    st = db.prepare(sql);
    cache.set(sql, st);
  }
  return st;
}

/**
 * Runs fn in one IMMEDIATE transaction (the write lock is taken at BEGIN, so two writers never
 * deadlock upgrading a read lock): all of it commits, or none of it on any throw.
 */
export function inTransaction<T>(db: Db, fn: () => T): T {
  try {
    return db.transaction(fn).immediate();
  } catch (err) {
    throw mapSqliteError(err, "a store transaction");
  }
}

/**
 * SQLITE_BUSY → GP_STORE_BUSY; an unopenable, read-only or non-SQLite file → GP_INVALID_ARGUMENT;
 * GpupoolErrors pass through; everything else stays as it is (a bug).
 */
export function mapSqliteError(err: unknown, what: string): unknown {
  const code = (err as { code?: string }).code ?? "";
  if (code === "SQLITE_CANTOPEN" || code === "SQLITE_READONLY" || code === "SQLITE_NOTADB") {
    return new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `${what}: cannot use it as gpupool's store (${code}: ${(err as Error).message}); check --data`,
    );
  }
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new GpupoolError(
      "GP_STORE_BUSY",
      `${what}: the database is locked by another process (${(err as Error).message})`,
    );
  }
  return err;
}
