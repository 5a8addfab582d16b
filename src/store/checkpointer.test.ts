import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./db.js";
import { startCheckpointer } from "./checkpointer.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Writes `batches` × ~256 KiB with SQLite's own checkpoint off; returns the WAL's size at the end. */
async function walAfterWrites(withWorker: boolean): Promise<{ wal: number; rows: number }> {
  const dir = mkdtempSync(join(tmpdir(), "gp-ckpt-"));
  dirs.push(dir);
  const path = join(dir, "t.db");
  const db = openDatabase(path);
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (v BLOB)");
  const ckpt = withWorker ? startCheckpointer(path, { intervalMs: 5 }) : undefined;
  const insert = db.prepare("INSERT INTO t VALUES (randomblob(4096))");
  for (let b = 0; b < 12; b++) {
    db.transaction(() => {
      for (let i = 0; i < 64; i++) insert.run();
    })();
    if (ckpt) {
      const seen = ckpt.done();
      await until(() => ckpt.done() >= seen + 2);
    }
  }
  const wal = statSync(`${path}-wal`).size;
  ckpt?.stop();
  const rows = (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
  db.close();
  return { wal, rows };
}

describe("background checkpointer", () => {
  it("keeps the WAL to about one batch, where without it the WAL holds every batch", async () => {
    const without = await walAfterWrites(false);
    const withIt = await walAfterWrites(true);
    expect(without.rows).toBe(12 * 64);
    expect(withIt.rows).toBe(12 * 64);
    // 12 batches of 64 × 4 KiB rows: ≥ 3 MiB of WAL without; the worker lets each batch reuse the start.
    expect(without.wal).toBeGreaterThan(3 * 2 ** 20);
    expect(withIt.wal).toBeLessThan(without.wal / 4);
  });

  it("stop() lets the store check the WAL point and close at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gp-ckpt-"));
    dirs.push(dir);
    const path = join(dir, "t.db");
    const db = openDatabase(path);
    const ckpt = startCheckpointer(path, { intervalMs: 1 });
    await until(() => ckpt.done() > 3);
    ckpt.stop();
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    expect(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
  });
});

describe("checkpointer stop", () => {
  it("settles once the worker has exited; a worker started after its store was removed creates nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gp-ckpt-"));
    dirs.push(dir);
    const path = join(dir, "t.db");
    openDatabase(path).close();
    // Started and its store removed in the same turn: the worker opens the path only after this. It
    // reads the stop message only after that open, so stop() settling early would miss a file made then.
    const ckpt = startCheckpointer(path, { intervalMs: 1 });
    rmSync(path);
    await ckpt.stop();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the process alive while awaited: the code after `await stop()` runs", () => {
    // The worker is unref'd while it runs. Before stop() ref'd it, a process with nothing else to
    // do exited 0 mid-await: `gpupool up --engine podman` on a host without podman said nothing.
    const dir = mkdtempSync(join(tmpdir(), "gp-ckpt-"));
    dirs.push(dir);
    const here = fileURLToPath(new URL(".", import.meta.url));
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        join(here, "test-support/register-ts.mjs"),
        join(here, "test-support/stop-child.ts"),
        join(dir, "t.db"),
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(child.stderr).toBe("");
    expect(child.stdout).toBe("after\n");
  });
});
