import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Store, STORE_FILE } from "../store/index.js";
import { fillStore } from "./store-fixture.js";

/**
 * `npm run bench:store` (issue 10, acceptance 3 and 7), on a store of BENCH_STORE_JOBS (default
 * 10,000) finished jobs over 4 tenants:
 *  1. what the start-up check costs: PRAGMA quick_check against integrity_check, each the median of
 *     BENCH_STORE_ROUNDS (default 5) runs on a fresh connection (SQLite's page cache cold, the OS's
 *     warm: a start right after a stop);
 *  2. the store work of the old GET /v1/usage (every job read, its usage row, a SUM per tenant) next
 *     to the new one (the running totals and one page), in-process;
 *  3. `gpupool up --engine fake` on that store (its own process, as a user runs it): the start, then
 *     BENCH_STORE_REQUESTS (default 50) sequential requests each of GET /v1/usage, GET /v1/jobs and
 *     GET /v1/events as the admin and as one tenant over loopback, p50/p99/max. Goal: /v1/usage < 20 ms.
 */

const JOBS = Number(process.env.BENCH_STORE_JOBS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_STORE_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_STORE_REQUESTS ?? 50);
const ADMIN = "gp_bench-store-admin-token-0123456789";
const BIN = fileURLToPath(new URL("../../bin/gpupool", import.meta.url));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

/** The old handler's store work: every job (spec parsed), each job's usage row, SUM per tenant. */
function oldUsageWork(store: Store): number {
  const jobs = store.jobs.list();
  let n = 0;
  for (const j of jobs) if (store.usage.ofJob(j.id).gpuMilliMs > 0) n++;
  store.db.prepare("SELECT tenant, SUM(gpu_milli_ms) AS total FROM usage GROUP BY tenant").all();
  return n;
}

function newUsageWork(store: Store): number {
  store.jobs.list({ states: ["Running"] });
  store.usage.byTenant();
  return store.usage.jobsPage({ limit: 101 }).length;
}

function timeIt(fn: () => unknown): number {
  const runs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

async function serve(dir: string): Promise<{ url: string; startMs: number; stop: () => Promise<void> }> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, "up", "--engine", "fake", "--listen", "127.0.0.1:0", "--data", dir],
    {
      env: { ...process.env, GPUPOOL_ADMIN_TOKEN: ADMIN },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (b: Buffer) => {
      seen += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(seen);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`gpupool up exited ${code}:\n${seen}`)));
  });
  const startMs = performance.now() - t0;
  return {
    url,
    startMs,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function timeRequests(
  url: string,
  token: string,
  path: string,
): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS + 5; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    if (i >= 5) ms.push(performance.now() - t0);
    bytes = body.length;
  }
  return { ms, bytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function timeCheck(path: string, pragma: string): number {
  const runs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const db = new Database(path, { readonly: true });
    const t0 = performance.now();
    const res = db.pragma(pragma) as Record<string, string>[];
    runs.push(performance.now() - t0);
    db.close();
    if (Object.values(res[0] ?? {})[0] !== "ok") throw new Error(`${pragma}: ${JSON.stringify(res)}`);
  }
  return median(runs);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "gp-bench-store-"));
  try {
    const t0 = performance.now();
    fillStore(dir, { jobs: JOBS });
    const fillMs = performance.now() - t0;
    const path = join(dir, STORE_FILE);
    const mb = statSync(path).size / 2 ** 20;
    console.log(`store: ${JOBS} finished jobs, ${mb.toFixed(1)} MiB (filled in ${Math.round(fillMs)} ms)`);
    const quick = timeCheck(path, "quick_check");
    const full = timeCheck(path, "integrity_check");
    console.log(`quick_check:     ${quick.toFixed(1)} ms (median of ${ROUNDS})`);
    console.log(`integrity_check: ${full.toFixed(1)} ms (median of ${ROUNDS})`);

    const store = Store.openDir(dir);
    const before = timeIt(() => oldUsageWork(store));
    const after = timeIt(() => newUsageWork(store));
    store.close();
    console.log(
      `usage, store work: old handler ${before.toFixed(1)} ms, new ${after.toFixed(2)} ms (medians of ${ROUNDS})`,
    );

    const srv = await serve(dir);
    try {
      console.log(
        `gpupool up on it: listening after ${Math.round(srv.startMs)} ms (process start, quick_check, recovery)`,
      );
      const made = await fetch(`${srv.url}/v1/tenants/team-0/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: "{}",
      });
      const tenant = ((await made.json()) as { token: string }).token;
      console.log(`${REQUESTS} sequential requests each (after 5 warm-up), loopback, ms:`);
      let usageP99 = 0;
      for (const [who, token, path] of [
        ["admin", ADMIN, "/v1/usage"],
        ["team-0", tenant, "/v1/usage"],
        ["admin", ADMIN, "/v1/jobs?all=true"],
        ["team-0", tenant, "/v1/jobs"],
        ["team-0", tenant, "/v1/events?after=0&limit=1000"],
      ] as const) {
        const r = await timeRequests(srv.url, token, path);
        if (path === "/v1/usage") usageP99 = Math.max(usageP99, pct(r.ms, 99));
        console.log(
          `  ${who.padEnd(6)} GET ${path.padEnd(30)} p50 ${pct(r.ms, 50).toFixed(2).padStart(6)}  p99 ${pct(r.ms, 99).toFixed(2).padStart(6)}  max ${Math.max(
            ...r.ms,
          )
            .toFixed(2)
            .padStart(6)}  (${r.bytes} bytes)`,
        );
      }
      console.log(
        `goal GET /v1/usage < 20 ms: ${usageP99 < 20 ? "met" : "NOT met"} (p99 ${usageP99.toFixed(2)} ms)`,
      );
    } finally {
      await srv.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
