import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { GpupoolError } from "../core/errors.js";
import { type Db, openDatabase } from "./db.js";
import { acquireInstanceLock } from "./instance-lock.js";
import { MIGRATIONS } from "./migrations.js";
import { STORE_FILE } from "./store.js";
import { checkHeader, checkIntegrity, checkStorePresent, storeFiles, writeMarker } from "./store-guard.js";

/**
 * `gpupool backup` and `gpupool restore`: a store copied with SQLite's online backup API.
 *
 * A backup opens the data directory's database read-only from its own process, next to a running
 * server or without one, and copies every page in one step, i.e. inside one read transaction: in WAL
 * mode a reader neither waits for nor blocks the server's writer (nor its PASSIVE checkpoints), and
 * the copy is the store as of one commit. The copy is written to FILE.partial, turned into a plain
 * one-file database (journal_mode DELETE), checked with integrity_check and only then renamed to FILE,
 * so FILE is never half a backup. The server's instance lock (gpupool.lock) is not needed: it keeps
 * a second writer off the directory, and a backup never writes there.
 *
 * Why not an admin API endpoint that writes a path: it would let an API token make the server write
 * files wherever its user may, and a store is local to its host anyway (`--data` is a directory).
 *
 * A restore copies a checked backup into a new (or empty) data directory under that directory's
 * instance lock, leaves it in WAL mode with its marker (store-guard.ts), and keeps the backup's
 * instance id: a gpupool started on the restored directory re-adopts that store's containers.
 */

export interface StoreSummary {
  readonly instanceId: string;
  readonly jobs: number;
  readonly tenants: number;
  readonly tokens: number;
  /** Newest schema migration in the file. */
  readonly schemaVersion: number;
}

export interface BackupResult extends StoreSummary {
  readonly file: string;
  readonly bytes: number;
  readonly ms: number;
}

export interface RestoreResult extends StoreSummary {
  readonly dataDir: string;
  readonly ms: number;
}

/** Every remaining page in one backup step (better-sqlite3 passes the number to sqlite3_backup_step). */
const ALL_PAGES = 0x7fffffff;

/** What a gpupool store file holds, or GP_STORE_CORRUPT when it is not one (missing tables, no instance id). */
function summarize(db: Db, path: string): StoreSummary {
  const one = (sql: string) => db.prepare(sql).get() as Record<string, unknown> | undefined;
  try {
    const meta = one("SELECT value FROM meta WHERE key = 'instance_id'");
    if (typeof meta?.value !== "string") throw new Error("no instance id");
    return {
      instanceId: meta.value,
      jobs: Number(one("SELECT COUNT(*) AS n FROM jobs")?.n),
      tenants: Number(one("SELECT COUNT(*) AS n FROM tenants")?.n),
      tokens: Number(one("SELECT COUNT(*) AS n FROM api_tokens")?.n),
      schemaVersion: Number(one("SELECT MAX(version) AS v FROM schema_migrations")?.v),
    };
  } catch (err) {
    throw new GpupoolError(
      "GP_STORE_CORRUPT",
      `${path} is a SQLite database but not a gpupool store (${(err as Error).message})`,
      { file: path },
    );
  }
}

async function copyPages(from: Db, to: string): Promise<void> {
  try {
    await from.backup(to, { progress: () => ALL_PAGES });
  } catch (err) {
    rmSync(to, { force: true });
    if (err instanceof TypeError)
      throw new GpupoolError("GP_INVALID_ARGUMENT", `cannot write ${to}: ${err.message}`);
    throw err;
  }
}

function openReadOnly(path: string): Db {
  try {
    return new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  } catch (err) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `cannot open ${path}: ${(err as Error).message}`, {
      file: path,
    });
  }
}

/** Copies the store of `dataDir` to `file` (replacing it only once the copy is complete and checked). */
export async function backupStore(
  dataDir: string,
  file: string,
  now: () => number = Date.now,
): Promise<BackupResult> {
  const t0 = now();
  const files = storeFiles(dataDir, STORE_FILE);
  checkStorePresent(dataDir, files);
  if (!existsSync(files.db))
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `there is no store in ${dataDir} (no ${STORE_FILE}); check --data`,
      {
        dataDir,
      },
    );
  checkHeader(files.db);
  const target = resolve(file);
  if (target === resolve(files.db))
    throw new GpupoolError("GP_INVALID_ARGUMENT", "the backup file cannot be the store itself");
  const partial = `${target}.partial`;
  const source = openReadOnly(files.db);
  try {
    await copyPages(source, partial);
  } finally {
    source.close();
  }
  let summary: StoreSummary;
  try {
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma("journal_mode = DELETE");
      checkIntegrity(copy, files.db, "full");
      summary = summarize(copy, files.db);
    } finally {
      copy.close();
    }
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  return { ...summary, file: target, bytes: statSync(target).size, ms: now() - t0 };
}

/** Restores a backup made by backupStore into `dataDir`, which must not exist or be empty. */
export async function restoreStore(
  file: string,
  dataDir: string,
  now: () => number = Date.now,
): Promise<RestoreResult> {
  const t0 = now();
  if (!existsSync(file)) throw new GpupoolError("GP_INVALID_ARGUMENT", `no backup file ${file}`, { file });
  checkHeader(file);
  const existed = existsSync(dataDir);
  if (existed) {
    if (!statSync(dataDir).isDirectory())
      throw new GpupoolError("GP_INVALID_ARGUMENT", `--data ${dataDir} is not a directory`, { dataDir });
    const there = readdirSync(dataDir);
    if (there.length > 0)
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `--data ${dataDir} is not empty (${there.slice(0, 3).join(", ")}${there.length > 3 ? ", …" : ""}): restore into a new or empty directory`,
        { dataDir },
      );
  }
  const source = openReadOnly(file);
  let summary: StoreSummary;
  try {
    checkIntegrity(source, file, "full");
    summary = summarize(source, file);
    const newest = Math.max(...MIGRATIONS.map((m) => m.version));
    if (summary.schemaVersion > newest)
      throw new GpupoolError(
        "GP_STORE_SCHEMA",
        `${file} has schema version ${summary.schemaVersion}; this gpupool knows up to ${newest}`,
        { file },
      );
  } catch (err) {
    source.close();
    throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const files = storeFiles(dataDir, STORE_FILE);
  const lock = acquireInstanceLock(dataDir);
  try {
    const partial = join(dirname(files.db), `${basename(files.db)}.partial`);
    await copyPages(source, partial);
    renameSync(partial, files.db);
    openDatabase(files.db).close(); // WAL mode, as the server opens it
    writeMarker(files, summary.instanceId, now);
  } catch (err) {
    lock.release();
    if (existed)
      for (const f of readdirSync(dataDir)) rmSync(join(dataDir, f), { recursive: true, force: true });
    else rmSync(dataDir, { recursive: true, force: true });
    throw err;
  } finally {
    source.close();
  }
  lock.release();
  return { ...summary, dataDir, ms: now() - t0 };
}
