import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Store, STORE_FILE } from "./store.js";
import { STORE_MARKER } from "./store-guard.js";
import { corruptOnePage } from "./test-support/damage.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "gp-guard-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A data directory with a closed store holding a tenant and `jobs` jobs. */
function storeWith(jobs: number): { dir: string; instanceId: string } {
  const dir = tempDir();
  const s = Store.openDir(dir);
  s.tenants.create("acme");
  for (let i = 0; i < jobs; i++)
    s.jobs.submit("acme", { name: `j${i}`, spec: opaqueSpec({ image: "localhost/busybox:latest", i }) });
  const instanceId = s.instanceId();
  s.close();
  return { dir, instanceId };
}

const refused = (code: string, message: RegExp) =>
  expect.objectContaining({ code, message: expect.stringMatching(message) });

describe("a data directory remembers its store (store-guard.ts)", () => {
  it("a new store writes the marker with its instance id; reopening passes", () => {
    const { dir, instanceId } = storeWith(1);
    const marker = JSON.parse(readFileSync(join(dir, STORE_MARKER), "utf8")) as { instanceId: string };
    expect(marker.instanceId).toBe(instanceId);
    const again = Store.openDir(dir);
    expect(again.jobs.list().length).toBe(1);
    again.close();
  });

  it("a 0-byte gpupool.db is refused with GP_STORE_MISSING, and left as it was", () => {
    const { dir, instanceId } = storeWith(3);
    writeFileSync(join(dir, STORE_FILE), "");
    expect(() => Store.openDir(dir)).toThrow(
      refused(
        "GP_STORE_MISSING",
        new RegExp(`is empty \\(0 bytes\\), but .* had a store \\(instance ${instanceId}`),
      ),
    );
    expect(statSync(join(dir, STORE_FILE)).size).toBe(0);
  });

  it("a deleted gpupool.db is refused with GP_STORE_MISSING and not re-created", () => {
    const { dir } = storeWith(3);
    rmSync(join(dir, STORE_FILE));
    expect(() => Store.openDir(dir)).toThrow(refused("GP_STORE_MISSING", /gpupool\.db is missing/));
    expect(existsSync(join(dir, STORE_FILE))).toBe(false);
  });

  it("a database deleted with its WAL left behind is refused, marker or not (a directory from before the marker)", () => {
    const dir = tempDir();
    const live = Store.openDir(dir); // never closed, like a kill -9: the WAL keeps the commits
    live.tenants.create("acme");
    live.jobs.submit("acme", { name: "j", spec: opaqueSpec({}) });
    rmSync(join(dir, STORE_FILE));
    expect(statSync(join(dir, `${STORE_FILE}-wal`)).size).toBeGreaterThan(0);
    expect(() => Store.openDir(dir)).toThrow(refused("GP_STORE_MISSING", /had a store/));
    rmSync(join(dir, STORE_MARKER));
    expect(() => Store.openDir(dir)).toThrow(
      refused("GP_STORE_MISSING", /write-ahead log .*gpupool\.db-wal \(\d+ bytes\) is still there/),
    );
    expect(existsSync(join(dir, STORE_FILE))).toBe(false);
    live.db.close();
  });

  it("one corrupted page is refused at open with GP_STORE_CORRUPT (without the check it opens, then reads fail)", () => {
    const { dir } = storeWith(300);
    const page = corruptOnePage(join(dir, STORE_FILE), "jobs");
    expect(page).toBeGreaterThan(1);
    const copy = tempDir();
    for (const f of [STORE_FILE, STORE_MARKER]) copyFileSync(join(dir, f), join(copy, f));
    expect(() => Store.openDir(dir)).toThrow(refused("GP_STORE_CORRUPT", /gpupool\.db is damaged: /));
    // What the check prevents: the damaged store starts, and a read of the page fails later.
    const unchecked = Store.openDir(copy, { integrityCheck: "none" });
    expect(() => unchecked.jobs.list()).toThrow(expect.objectContaining({ code: "SQLITE_CORRUPT" }));
    unchecked.db.close();
  });

  it("a file that is not SQLite is GP_STORE_CORRUPT; another directory's store is GP_STORE_MISSING", () => {
    const { dir } = storeWith(1);
    const other = storeWith(1);
    copyFileSync(join(other.dir, STORE_FILE), join(dir, STORE_FILE));
    expect(() => Store.openDir(dir)).toThrow(
      refused("GP_STORE_MISSING", new RegExp(`holds another store \\(instance ${other.instanceId}\\)`)),
    );
    writeFileSync(join(dir, STORE_FILE), "not a database, just text long enough to be more than a header\n");
    expect(() => Store.openDir(dir)).toThrow(refused("GP_STORE_CORRUPT", /SQLite's file header/));
  });

  it("a store from before the marker gets one on its next open", () => {
    const { dir, instanceId } = storeWith(2);
    rmSync(join(dir, STORE_MARKER));
    Store.openDir(dir).close();
    expect(JSON.parse(readFileSync(join(dir, STORE_MARKER), "utf8"))).toMatchObject({ instanceId });
  });
});
