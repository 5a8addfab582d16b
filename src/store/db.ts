import Database from "better-sqlite3";
import { GpupoolError } from "../core/errors.js";

export type Db = Database.Database;

/**
 * Opens (creating if needed) a SQLite database the way the store needs it: WAL journal (readers
 * never block the writer), synchronous=FULL (a committed transaction survives kill -9 and power
 * loss), foreign keys enforced, and a busy timeout (default 5 s) before GP_STORE_BUSY.
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
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    return db;
  } catch (err) {
    db.close();
    throw mapSqliteError(err, `configuring ${path}`);
  }
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
