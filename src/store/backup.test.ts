import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backupStore, restoreStore } from "./backup.js";
import { Store, STORE_FILE } from "./store.js";
import { STORE_MARKER } from "./store-guard.js";
import { corruptOnePage } from "./test-support/damage.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";
import { TEST_ALLOC, useTempDirs } from "./test-support/temp-store.js";

const tempDir = useTempDirs("gp-backup-");
const ALLOC = TEST_ALLOC;

/** What a restore must bring back: every job with its events, the tenants with quotas, the tokens, usage. */
function contents(s: Store) {
  return {
    instanceId: s.instanceId(),
    tenants: s.tenants.list(),
    jobs: s.jobs.list().map((j) => ({ ...j, events: s.jobs.events(j.id) })),
    tokens: s.tenants.list().flatMap((t) => s.tokens.list(t.name)),
    usage: s.usage.byTenant(),
  };
}

describe("gpupool backup / restore (backup.ts)", () => {
  it("a backup taken while the store is open and being written, restored into a new directory, has the same jobs, tenants and tokens; a token still authenticates", async () => {
    const data = tempDir();
    const live = Store.openDir(data, { backgroundCheckpointMs: 20 });
    live.tenants.create("acme", { gpuMilli: 2000, activeJobs: 10 });
    const { token } = live.tokens.create("acme", "ci");
    const revoked = live.tokens.create("acme", "old");
    live.tokens.revoke("acme", revoked.record.id);
    for (let i = 0; i < 50; i++) {
      const { job } = live.jobs.submit("acme", { name: `j${i}`, spec: opaqueSpec({ image: "x", i }) });
      if (i % 2 === 0) {
        live.jobs.transition(job.id, "Scheduled", { node: "n1", allocation: ALLOC });
        live.jobs.transition(job.id, "Starting");
        live.jobs.transition(job.id, "Running", { containerId: `c${i}` });
        live.jobs.transition(job.id, "Succeeded", { exitCode: 0 });
        live.usage.add(job.id, 1000, 1500);
      }
    }
    const before = contents(live);
    const file = join(tempDir(), "gpupool-backup.db");
    // The server keeps writing while the backup runs; the backup is the store as of one commit.
    const writing = setInterval(
      () => live.jobs.submit("acme", { name: "later", spec: opaqueSpec({ t: Date.now() }) }),
      1,
    );
    const r = await backupStore(data, file);
    clearInterval(writing);
    expect(r).toMatchObject({ instanceId: before.instanceId, tenants: 1, tokens: 2, file });
    expect(r.jobs).toBeGreaterThanOrEqual(50);
    expect(readdirSync(join(file, ".."))).toEqual(["gpupool-backup.db"]); // no .partial, no -wal
    live.close();

    const restored = join(tempDir(), "new-data");
    const rr = await restoreStore(file, restored);
    expect(rr).toMatchObject({ instanceId: before.instanceId, tenants: 1, tokens: 2, jobs: r.jobs });
    expect(existsSync(join(restored, STORE_MARKER))).toBe(true);
    const s = Store.openDir(restored);
    const after = contents(s);
    expect({ ...after, jobs: after.jobs.slice(0, 50) }).toEqual(before);
    expect(s.tokens.requireTenant(token)).toBe("acme");
    expect(s.tokens.authenticate(revoked.token)).toBeUndefined();
    s.close();
  });

  it("restore refuses a directory that is not empty and leaves it as it was", async () => {
    const data = tempDir();
    Store.openDir(data).close();
    const file = join(tempDir(), "b.db");
    await backupStore(data, file);
    const target = tempDir();
    writeFileSync(join(target, "notes.txt"), "keep me");
    await expect(restoreStore(file, target)).rejects.toMatchObject({
      code: "GP_INVALID_ARGUMENT",
      message: expect.stringMatching(/is not empty \(notes\.txt\)/),
    });
    expect(readdirSync(target)).toEqual(["notes.txt"]);
    // an empty existing directory is fine
    const empty = join(tempDir(), "empty");
    mkdirSync(empty);
    await restoreStore(file, empty);
    expect(readdirSync(empty).sort()).toEqual([STORE_FILE, STORE_MARKER, "gpupool.lock"].sort());
  });

  it("refuses to back up a store that is gone, and to restore a damaged or foreign file (nothing is created)", async () => {
    const data = tempDir();
    const s = Store.openDir(data);
    s.tenants.create("acme");
    for (let i = 0; i < 300; i++)
      s.jobs.submit("acme", { name: `j${i}`, spec: opaqueSpec({ image: "x", i }) });
    s.close();
    const file = join(tempDir(), "b.db");
    await backupStore(data, file);

    const gone = tempDir();
    Store.openDir(gone).close();
    writeFileSync(join(gone, STORE_FILE), "");
    await expect(backupStore(gone, join(gone, "..", "x.db"))).rejects.toMatchObject({
      code: "GP_STORE_MISSING",
    });
    await expect(backupStore(join(gone, "nothing-here"), join(gone, "x.db"))).rejects.toMatchObject({
      code: "GP_INVALID_ARGUMENT",
    });

    corruptOnePage(file, "jobs");
    const target = join(tempDir(), "t");
    await expect(restoreStore(file, target)).rejects.toMatchObject({ code: "GP_STORE_CORRUPT" });
    const text = join(tempDir(), "text.db");
    writeFileSync(text, "hello, not a database at all, but long enough to be more than a header");
    await expect(restoreStore(text, target)).rejects.toMatchObject({ code: "GP_STORE_CORRUPT" });
    expect(existsSync(target)).toBe(false);
  });
});
