import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { STORE_FILE } from "../store/index.js";
import { fillStore } from "./store-fixture.js";

/**
 * `npm run bench:store`: what the store's start-up check costs on a store of BENCH_STORE_JOBS
 * (default 10,000) finished jobs: PRAGMA quick_check against integrity_check, each the median of
 * BENCH_STORE_ROUNDS (default 5) runs on a fresh connection (the page cache cold for SQLite, warm
 * for the OS: a start right after a stop).
 */

const JOBS = Number(process.env.BENCH_STORE_JOBS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_STORE_ROUNDS ?? 5);

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

function main(): void {
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
