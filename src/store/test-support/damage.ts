import { randomBytes } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import Database from "better-sqlite3";

/**
 * Overwrites one page of a closed SQLite file with random bytes: a leaf page of `table` (found with
 * the dbstat virtual table), as a bad sector or a torn write would. Returns the page number.
 */
export function corruptOnePage(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  const leaves = db
    .prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno")
    .all(table) as { pageno: number }[];
  db.close();
  const page = leaves[Math.floor(leaves.length / 2)]?.pageno;
  if (page === undefined) throw new Error(`no leaf page of ${table} in ${path}`);
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, randomBytes(pageSize), 0, pageSize, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  return page;
}
