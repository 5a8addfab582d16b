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

/** Callbacks to run once the outermost transaction commits, one frame per open transaction/savepoint. */
const commitHooks = new WeakMap<Db, (() => void)[][]>();

/**
 * Runs `fn` once what the current transaction wrote is committed (at once outside a transaction);
 * dropped when the transaction, or the savepoint it was registered under, rolls back. The store's
 * change feed uses it, so listeners never see a change that did not happen.
 */
export function onCommit(db: Db, fn: () => void): void {
  const frames = commitHooks.get(db);
  const top = frames?.at(-1);
  if (!db.inTransaction || !top) {
    fn();
    return;
  }
  top.push(fn);
}

const controls = new WeakMap<
  Db,
  Record<"begin" | "commit" | "rollback" | "save" | "release" | "undo", Database.Statement>
>();

/**
 * Runs fn in one IMMEDIATE transaction (the write lock is taken at BEGIN, so two writers never
 * deadlock upgrading a read lock): all of it commits, or none of it on any throw. Inside another
 * transaction it runs under a savepoint: a throw undoes only its own writes. fn must be synchronous.
 * (better-sqlite3's db.transaction() does the same but builds a wrapper per call, which cost more
 * than the BEGIN/COMMIT themselves at thousands of transactions a second.)
 */
export function inTransaction<T>(db: Db, fn: () => T): T {
  let c = controls.get(db);
  if (!c) {
    c = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      save: db.prepare("SAVEPOINT gp"),
      release: db.prepare("RELEASE gp"),
      undo: db.prepare("ROLLBACK TO gp"),
    };
    controls.set(db, c);
  }
  const nested = db.inTransaction;
  try {
    (nested ? c.save : c.begin).run();
  } catch (err) {
    throw mapSqliteError(err, "a store transaction");
  }
  let frames = commitHooks.get(db);
  if (!frames) {
    frames = [];
    commitHooks.set(db, frames);
  }
  if (!nested) frames.length = 0;
  frames.push([]);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) throw new TypeError("inTransaction: fn must not be async");
    (nested ? c.release : c.commit).run();
    const mine = frames.pop() ?? [];
    if (nested) frames.at(-1)?.push(...mine);
    else for (const hook of mine) hook();
  } catch (err) {
    frames.pop();
    // A failed COMMIT (or an error SQLite already rolled back) may have ended the transaction.
    if (nested) {
      if (db.inTransaction) {
        c.undo.run();
        c.release.run();
      }
    } else if (db.inTransaction) c.rollback.run();
    throw mapSqliteError(err, "a store transaction");
  }
  return result;
}

/** A write that failed for want of space (SQLite reports some as SQLITE_IOERR_* with ENOSPC underneath). */
function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  const message = (err as Error).message ?? "";
  return (
    code === "ENOSPC" || (code.startsWith("SQLITE_IOERR") && /no space|disk is full|ENOSPC/i.test(message))
  );
}

/**
 * SQLITE_FULL (or ENOSPC) → GP_STORE_FULL; SQLITE_BUSY → GP_STORE_BUSY; an unopenable, read-only or non-SQLite file → GP_INVALID_ARGUMENT;
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
  if (code === "SQLITE_FULL" || isNoSpace(err)) {
    return new GpupoolError(
      "GP_STORE_FULL",
      `${what}: the data directory's disk is full (${code || "ENOSPC"}): nothing was written`,
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
