import { prepared } from "./db.js";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { GpupoolError } from "../core/errors.js";

/** The file whose lock marks a data directory as in use. */
export const LOCK_FILE = "gpupool.lock";

export interface InstanceLock {
  release(): void;
}

/**
 * Makes sure one gpupool at a time runs on a data directory (two would both start the same jobs).
 * Holds an exclusive SQLite lock on <dataDir>/gpupool.lock for as long as the process lives; the
 * OS drops it when the process ends, kill -9 included, so a crash never leaves a stale lock.
 * A second holder gets GP_STORE_BUSY at once.
 */
export function acquireInstanceLock(dataDir: string): InstanceLock {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since INTEGER NOT NULL)");
    // A write under EXCLUSIVE locking mode keeps the lock until the connection closes.
    db.transaction(() => {
      db.exec("DELETE FROM holder");
      prepared(db, "INSERT INTO holder (pid, since) VALUES (?, ?)").run(process.pid, Date.now());
    }).immediate();
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code ?? "";
    if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
      throw new GpupoolError(
        "GP_STORE_BUSY",
        `another gpupool is running on ${dataDir} (its lock file ${LOCK_FILE} is held)`,
        {
          dataDir,
        },
      );
    }
    throw err;
  }
  return {
    release() {
      if (db.open) db.close();
    },
  };
}
