import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * Issue 10, acceptance 4: the data directory on a small tmpfs, filled by submissions while jobs run.
 * Every refused write is a coded 507 GP_STORE_FULL (never a 500), every submission either exists
 * whole or not at all, reads keep being served, and once space is freed writes work again.
 */

const root = process.getuid?.() === 0;
const why = root ? undefined : "mounting a tmpfs needs root";
if (why && process.env.CI) throw new Error(`the disk-full test needs root in CI: ${why}`);
if (why) console.warn(`skipping the disk-full test: ${why} (run as root to enable it)`);

describe.skipIf(why !== undefined)("a full disk under the data directory", () => {
  const dir = mkdtempSync(join(tmpdir(), "gp-full-"));
  let t: TestServer | undefined;
  let mounted = false;
  afterAll(async () => {
    await t?.close().catch(() => {});
    if (mounted) execFileSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("refuses writes with GP_STORE_FULL (507), loses or half-writes nothing, keeps serving reads", async () => {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", dir]);
    mounted = true;
    t = await testServer({ data: join(dir, "data") });
    const big = "x".repeat(60_000);
    const accepted: string[] = [];
    const refused: { status: number; code: string }[] = [];
    for (let i = 0; i < 400 && refused.length < 5; i++) {
      const r = await t.call(
        "POST",
        "/v1/jobs",
        testJob(`fill-${i}`, { command: ["sleep", "0.05"], env: { PAD: big } }),
      );
      if (r.status === 201) accepted.push(r.body.jobs[0].id);
      else refused.push({ status: r.status, code: r.body.code });
    }
    console.log(
      `disk full: ${accepted.length} submissions of 60 kB accepted on a 6 MiB tmpfs, then ${refused.length} refused: ${refused.map((r) => `${r.status} ${r.code}`).join(", ")}`,
    );
    expect(accepted.length).toBeGreaterThan(5);
    expect(refused.length).toBe(5);
    for (const r of refused) expect(r).toEqual({ status: 507, code: "GP_STORE_FULL" });
    // Reads: every accepted job is there, whole; none of the refused ones is.
    const list = await t.call("GET", "/v1/jobs?limit=1000");
    expect(list.status).toBe(200);
    const ids = (list.body.jobs as { id: string; name: string; spec: { env: { PAD: string } } }[]).map(
      (j) => {
        expect(j.spec.env.PAD).toHaveLength(big.length);
        return j.id;
      },
    );
    expect(ids.sort()).toEqual([...accepted].sort());
    expect((await t.call("GET", "/v1/nodes")).status).toBe(200);
    expect((await t.call("GET", "/v1/events?limit=10")).status).toBe(200);
    // A state change on a full disk is done or not: a stop either lands or answers a code.
    const stop = await t.call("POST", `/v1/jobs/${accepted.at(-1)}/stop`, {});
    expect([200, 507]).toContain(stop.status);
    // Room again (a finished job deleted, or the disk grown): writes work.
    execFileSync("mount", ["-o", "remount,size=64m", dir]);
    const after = await t.call("POST", "/v1/jobs", testJob("after", { command: ["true"] }));
    expect(after.status, JSON.stringify(after.body)).toBe(201);
    await t.until(after.body.jobs[0].id, (j) => j.state === "Succeeded");
  }, 120_000);
});
