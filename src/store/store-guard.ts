import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { GpupoolError } from "../core/errors.js";
import type { Db } from "./db.js";

/**
 * What keeps a data directory from silently forgetting its store.
 *
 * SQLite opens a missing or 0-byte file as a new, empty database, so on its own a deleted or
 * truncated gpupool.db would start a fresh store: every job, tenant and token gone, the old
 * containers orphaned. The data directory therefore remembers that it had a store: the first open
 * that creates one (or the first open of an older directory) writes STORE_MARKER next to it, naming
 * the store's instance id. From then on, opening the directory refuses (GP_STORE_MISSING) when
 * gpupool.db is missing or empty, or holds another store (another instance id).
 *
 * Why a marker file and not the WAL, SHM or lock files: those come and go (SQLite deletes the WAL
 * and SHM on a clean close; gpupool.lock is made by every start, before the store exists, so a first
 * start that failed leaves one), while the marker is written only once a store has really been
 * created and migrated, and nothing removes it. A WAL with content next to a missing database is
 * refused too: it covers directories from before the marker (where a kill -9 left the WAL behind).
 *
 * An existing database must also pass `PRAGMA quick_check` (GP_STORE_CORRUPT otherwise): a damaged
 * page would open fine and then fail the reads that touch it. quick_check reads every page and checks
 * each b-tree's structure, but not that indexes match their tables (integrity_check does that too,
 * for about four times as long: measured in `npm run bench:store`, docs/store.md).
 */

/** The file that records that a data directory holds a store (JSON; see above). */
export const STORE_MARKER = "gpupool.store.json";

export interface StoreMarker {
  readonly instanceId: string;
  /** ISO-8601 time the marker was written (the store's creation, or its first open by a gpupool that writes markers). */
  readonly createdAt: string;
}

export interface StoreFiles {
  /** The database file: <dir>/gpupool.db. */
  readonly db: string;
  readonly marker: string;
  readonly wal: string;
}

export function storeFiles(dataDir: string, dbFile: string): StoreFiles {
  return {
    db: join(dataDir, dbFile),
    marker: join(dataDir, STORE_MARKER),
    wal: join(dataDir, `${dbFile}-wal`),
  };
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** The marker's contents; undefined when there is none. A marker that cannot be read still counts. */
export function readMarker(path: string): StoreMarker | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, "utf8")) as Partial<StoreMarker>;
    return { instanceId: String(m.instanceId ?? "?"), createdAt: String(m.createdAt ?? "?") };
  } catch {
    return { instanceId: "?", createdAt: "?" };
  }
}

/**
 * Before the database is opened (opening would create an empty one): refuses with GP_STORE_MISSING
 * when the directory had a store and its database is missing or empty. Returns the marker, if any.
 */
export function checkStorePresent(dataDir: string, files: StoreFiles): StoreMarker | undefined {
  const marker = readMarker(files.marker);
  const size = sizeOf(files.db);
  if (size !== undefined && size > 0) return marker;
  const what = size === undefined ? "is missing" : "is empty (0 bytes)";
  const missing = (why: string) =>
    new GpupoolError(
      "GP_STORE_MISSING",
      `${files.db} ${what}, but ${why}; gpupool will not start a new, empty store over it`,
      {
        dataDir,
        file: files.db,
      },
    );
  if (marker)
    throw missing(
      `${dataDir} had a store (instance ${marker.instanceId}, since ${marker.createdAt}; see ${STORE_MARKER})`,
    );
  const wal = sizeOf(files.wal);
  if (wal !== undefined && wal > 0)
    throw missing(`its write-ahead log ${files.wal} (${wal} bytes) is still there: the database was deleted`);
  return undefined;
}

/** After migrations: the database must be this directory's store (the marker's instance id). */
export function checkSameStore(
  dataDir: string,
  files: StoreFiles,
  marker: StoreMarker,
  instanceId: string,
): void {
  if (marker.instanceId === instanceId || marker.instanceId === "?") return;
  throw new GpupoolError(
    "GP_STORE_MISSING",
    `${files.db} holds another store (instance ${instanceId}), not the one ${dataDir} had (instance ${marker.instanceId}, see ${STORE_MARKER})`,
    { dataDir, file: files.db },
  );
}

/** Writes the marker (write then rename: never half a file). */
export function writeMarker(files: StoreFiles, instanceId: string, now: () => number = Date.now): void {
  const tmp = `${files.marker}.tmp`;
  const marker: StoreMarker = { instanceId, createdAt: new Date(now()).toISOString() };
  writeFileSync(tmp, `${JSON.stringify(marker)}\n`);
  renameSync(tmp, files.marker);
}

const SQLITE_HEADER = "SQLite format 3\0";

/**
 * A file with content that does not start with SQLite's header is no store (or its first page is
 * damaged): GP_STORE_CORRUPT. A missing or empty file passes (checkStorePresent judged it).
 */
export function checkHeader(path: string): void {
  const head = Buffer.alloc(SQLITE_HEADER.length);
  let n: number;
  try {
    const fd = openSync(path, "r");
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return;
  }
  if (n === 0) return;
  if (n < head.length || head.toString("latin1") !== SQLITE_HEADER)
    throw corruptStore(
      path,
      "it does not start with SQLite's file header (not a database, or its first page is damaged)",
    );
}

export type IntegrityCheck = "quick" | "full" | "none";

/**
 * `PRAGMA quick_check` ("quick") or `integrity_check` ("full"); throws GP_STORE_CORRUPT with the
 * first problems SQLite names. A page too damaged to read at all fails the same way.
 */
export function checkIntegrity(db: Db, path: string, mode: IntegrityCheck = "quick"): void {
  if (mode === "none") return;
  const pragma = mode === "quick" ? "quick_check(20)" : "integrity_check(20)";
  let problems: string[];
  try {
    problems = (db.pragma(pragma) as Record<string, string>[])
      .map((r) => Object.values(r)[0] ?? "")
      .filter((m) => m !== "ok");
  } catch (err) {
    problems = [`${(err as { code?: string }).code ?? "error"}: ${(err as Error).message}`];
  }
  if (problems.length === 0) return;
  throw corruptStore(path, problems.slice(0, 3).join("; "));
}

/** GP_STORE_CORRUPT for the store at `path`, saying why. */
export function corruptStore(path: string, why: string): GpupoolError {
  return new GpupoolError("GP_STORE_CORRUPT", `the store ${path} is damaged: ${why}`, { file: path });
}
