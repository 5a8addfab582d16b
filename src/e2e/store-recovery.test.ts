import { spawn } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corruptOnePage } from "../store/test-support/damage.js";
import { BIN, gpupool, upProcess } from "./test-support/gpupool-bin.js";

/**
 * The store refuses to forget (issue 10, acceptance 3), with the real bin/gpupool: `gpupool up` refuses
 * a data directory whose store is empty, deleted (its WAL left behind) or has a damaged page, with
 * one coded line and a hint, and changes nothing there; `gpupool backup` of a running server, then
 * `gpupool restore` into a new data directory, brings back the jobs, tenants and tokens.
 */

const ADMIN = "gp_store-recovery-admin-token-0123";
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gp-store-e2e-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", GPUPOOL_ADMIN_TOKEN: ADMIN };
  delete e.GPUPOOL_TOKEN;
  delete e.GPUPOOL_DATA;
  return e;
};
const upArgs = (data: string) => ["--engine", "fake", "--listen", "127.0.0.1:0", "--data", data];

async function api(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON came back
  return { status: res.status, body: (await res.json()) as any };
}

function refusedWith(r: { code: number | null; err: string }, code: string, message: RegExp): void {
  expect(r.code, r.err).toBe(4);
  const lines = r.err.trim().split("\n");
  expect(lines[0]).toMatch(new RegExp(`^gpupool: error\\[${code}\\]: `));
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^ {2}hint: .*gpupool restore FILE --data NEWDIR/);
  expect(r.err).not.toMatch(/\n\s+at /);
}

/** The store's files and their sizes: what a refused start must leave as it was (the lock file is the start's own). */
function snapshot(dir: string): Record<string, number> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => !f.startsWith("gpupool.lock"))
      .map((f) => [f, statSync(join(dir, f)).size]),
  );
}

describe("a store that refuses to forget (gpupool up, backup, restore)", () => {
  let data: string;
  let acmeToken: string;
  let jobIds: string[];
  let backup: string;

  it("gpupool backup copies the store of a running server; restore into a new directory brings back jobs, tenants and tokens", async () => {
    data = join(root, "data");
    const up = await upProcess(upArgs(data), env());
    try {
      const t = await api(up.url, ADMIN, "POST", "/v1/tenants", { name: "acme", quotas: { activeJobs: 50 } });
      expect(t.status, JSON.stringify(t.body)).toBe(201);
      acmeToken = t.body.token;
      jobIds = [];
      for (const name of ["a", "b", "c"]) {
        const r = await api(up.url, acmeToken, "POST", "/v1/jobs", {
          name,
          image: "localhost/busybox:latest",
          command: ["true"],
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        jobIds.push(r.body.jobs[0].id);
      }
      backup = join(root, "backup.db");
      const b = await gpupool(["backup", "--data", data, backup], env());
      expect(b.code, b.err).toBe(0);
      expect(b.out).toMatch(
        /^backed up .* to .*backup\.db: 3 jobs, 3 tenants, 2 tokens \(instance [0-9a-f]{16}/,
      );
    } finally {
      await up.stop();
    }

    const restored = join(root, "restored");
    const r = await gpupool(["restore", backup, "--data", restored], env());
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/restored .* into .*restored: 3 jobs/);
    const again = await gpupool(["restore", backup, "--data", restored], env());
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/^gpupool: error\[GP_INVALID_ARGUMENT\]: --data .* is not empty/);

    const up2 = await upProcess(upArgs(restored), env());
    try {
      expect(up2.output()).not.toContain("admin token (shown once"); // the admin's token came back too
      const jobs = await api(up2.url, acmeToken, "GET", "/v1/jobs");
      expect(jobs.status, JSON.stringify(jobs.body)).toBe(200);
      expect(jobs.body.jobs.map((j: { id: string }) => j.id)).toEqual(jobIds);
      const tenants = await api(up2.url, ADMIN, "GET", "/v1/tenants");
      expect(tenants.body.tenants.find((x: { name: string }) => x.name === "acme")?.quotas).toEqual({
        activeJobs: 50,
      });
    } finally {
      await up2.stop();
    }
  }, 90_000);

  it("a 0-byte gpupool.db: GP_STORE_MISSING with a hint, exit 4, nothing changed", async () => {
    const dir = join(root, "zero");
    cpSync(data, dir, { recursive: true });
    writeFileSync(join(dir, "gpupool.db"), "");
    const before = snapshot(dir);
    const r = await gpupool(["up", ...upArgs(dir)], env());
    refusedWith(r, "GP_STORE_MISSING", /gpupool\.db is empty \(0 bytes\), but .* had a store/);
    expect(snapshot(dir)).toEqual(before);
  }, 30_000);

  it("gpupool.db deleted with its WAL left behind (after a kill -9): GP_STORE_MISSING, the WAL kept", async () => {
    const dir = join(root, "deleted");
    cpSync(data, dir, { recursive: true });
    // A server killed with -9 leaves its WAL (a clean stop checkpoints it away).
    const child = spawn(process.execPath, [BIN, "up", ...upArgs(dir)], {
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1]!);
        } else if (child.exitCode !== null) reject(new Error(out));
      }, 50);
    });
    await api(url, acmeToken, "POST", "/v1/jobs", { name: "d", image: "localhost/busybox:latest" });
    const gone = new Promise((r) => child.on("close", r));
    child.kill("SIGKILL");
    await gone;
    expect(statSync(join(dir, "gpupool.db-wal")).size).toBeGreaterThan(0);
    rmSync(join(dir, "gpupool.db"));
    const before = snapshot(dir);
    const r = await gpupool(["up", ...upArgs(dir)], env());
    refusedWith(r, "GP_STORE_MISSING", /gpupool\.db is missing, but .* had a store/);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(dir, "gpupool.db"))).toBe(false);
  }, 60_000);

  it("one corrupted page: GP_STORE_CORRUPT with a hint, exit 4", async () => {
    const dir = join(root, "corrupt");
    cpSync(data, dir, { recursive: true });
    corruptOnePage(join(dir, "gpupool.db"), "jobs");
    const r = await gpupool(["up", ...upArgs(dir)], env());
    refusedWith(r, "GP_STORE_CORRUPT", /gpupool\.db is damaged: /);
  }, 30_000);
});
