import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { timeThroughEngine } from "../engines/start-latency.js";
import { closedLoop, type LoadResult, openLoop, percentile } from "./submit-load.js";
import { type RunningServer, startServer, type UpOptions } from "../server/up.js";

/**
 * `npm run bench:api` (issue #4, acceptance 8):
 *  1. POST /v1/jobs over loopback HTTP to `gpupool up --engine fake` in its own process (the real
 *     SQLite store and scheduler; the in-memory engine runs the jobs, so the engine is not what is
 *     measured), after a warm-up: the most submissions/s 8 connections get (closed loop), and the
 *     latency percentiles at 1,000 submissions/s offered on a fixed schedule (open loop, see
 *     submit-load.ts for why these are two measurements);
 *  2. container start time through gpupool (submit → Succeeded of `true` on real Podman) and through the
 *     engine port alone (what the removed start-latency unit test timed) against a bare
 *     `podman run --rm` of the same image, side by side in one run.
 * Goals: ≥ 1,000 submissions/s, p99 < 20 ms at that rate, start time ≤ 1.2 × bare podman.
 * BENCH_API_SUBMISSIONS, _CONCURRENCY, _RATE, _WARMUP and _STARTS change the sizes.
 *
 * Compare mode, BENCH_API_BASELINE=<commit> (`npm run bench:api:compare`): part 1 for this checkout's
 * built server and for <commit>'s, side by side in one run — the baseline is checked out in a
 * temporary detached worktree (with this checkout's node_modules) and built there; then
 * BENCH_API_ROUNDS (default 4) rounds run each server once, the order alternating (A B, B A, …) so
 * drift in the machine's load hits both alike, each run a fresh process and data dir. It prints both
 * commits' figures, the ratios, and whether this commit meets the goals and is not slower. The
 * temporary worktree is removed at the end, also on failure or Ctrl-C.
 */

const ADMIN = "gp_bench-admin-token-0123456789abcdef";
const SUBMISSIONS = Number(process.env.BENCH_API_SUBMISSIONS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_API_CONCURRENCY ?? 8);
const STARTS = Number(process.env.BENCH_API_STARTS ?? 20);
const IMAGE = "localhost/busybox:latest";

const pct = percentile;

async function server(opts: Partial<UpOptions>): Promise<{ srv: RunningServer; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "gp-bench-"));
  const srv = await startServer({
    simulate: "8xA100-80GB",
    listen: "127.0.0.1:0",
    data: dir,
    adminToken: ADMIN,
    out: () => {},
    ...opts,
  });
  return { srv, dir };
}

/**
 * `gpupool up --engine fake` in its own process, as a user runs it: the load generator must not share
 * the server's event loop (its own work would show up as the server's latency). `bin` is the
 * gpupool executable to run (this checkout's, or a baseline commit's in compare mode).
 */
/** Server processes still running, with their data dirs (killed and removed with the bench on a signal). */
const live = new Map<ChildProcess, string>();

async function serverProcess(bin: string): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "gp-bench-"));
  const child = spawn(
    process.execPath,
    [bin, "up", "--engine", "fake", "--simulate", "8xA100-80GB", "--listen", "127.0.0.1:0", "--data", dir],
    { env: { ...process.env, GPUPOOL_ADMIN_TOKEN: ADMIN }, stdio: ["ignore", "pipe", "inherit"] },
  );
  live.set(child, dir);
  child.once("exit", () => live.delete(child));
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stdout!.on("data", (b: Buffer) => {
      seen += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(seen);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`gpupool up exited ${code} before listening:\n${seen}`)));
  });
  return { url, child, dir };
}

const THIS_BIN = fileURLToPath(new URL("../../bin/gpupool", import.meta.url));
const RATE = Number(process.env.BENCH_API_RATE ?? 1000);
const WARMUP = Number(process.env.BENCH_API_WARMUP ?? 1000);

function jobBody(tag: string) {
  return (i: number) => ({
    name: `bench-${tag}-${i}`,
    image: IMAGE,
    command: ["true"],
    cpu: "100m",
    memory: "64Mi",
    clientRequestId: `bench-${tag}-${i}`,
  });
}

function line(what: string, r: LoadResult): string {
  const l = r.latencies;
  const f = (p: number) => percentile(l, p).toFixed(2);
  return `  ${what}: ${(r.sent / r.seconds).toFixed(0)} submissions/s; latency p50 ${f(50)} ms, p90 ${f(90)} ms, p99 ${f(99)} ms, max ${l[l.length - 1]!.toFixed(2)} ms; ${r.failed} failed${r.errors.length > 0 ? ` (${r.errors.join("; ")})` : ""}`;
}

/** One server's figures: a fresh `gpupool up` and data dir, warm-up, then the closed and the open loop. */
interface Measured {
  readonly closed: LoadResult;
  readonly open: LoadResult;
  /** The server process's CPU time (user + system) during each loop, in ms; NaN where /proc is missing. */
  readonly closedCpuMs: number;
  readonly openCpuMs: number;
}

/** CPU time a process has used so far, in ms (Linux /proc; utime + stime at 100 ticks/s); NaN elsewhere. */
function cpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** A server started, warmed up with WARMUP submissions and stopped: nothing is counted. */
async function measureWarmOnly(bin: string): Promise<void> {
  const { url, child, dir } = await serverProcess(bin);
  try {
    await closedLoop({ url, token: ADMIN, count: WARMUP, connections: CONCURRENCY, body: jobBody("settle") });
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(bin: string, tag: string, onWarm: () => void = () => {}): Promise<Measured> {
  const { url, child, dir } = await serverProcess(bin);
  const base = { url, token: ADMIN };
  try {
    await closedLoop({ ...base, count: WARMUP, connections: CONCURRENCY, body: jobBody(`${tag}warm`) });
    onWarm();
    const c0 = cpuMs(child.pid);
    const closed = await closedLoop({
      ...base,
      count: SUBMISSIONS,
      connections: CONCURRENCY,
      body: jobBody(`${tag}closed`),
    });
    const c1 = cpuMs(child.pid);
    const open = await openLoop({
      ...base,
      count: SUBMISSIONS,
      rate: RATE,
      connections: 64,
      body: jobBody(`${tag}open`),
    });
    return { closed, open, closedCpuMs: c1 - c0, openCpuMs: cpuMs(child.pid) - c1 };
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

const rate = (r: LoadResult): number => r.sent / r.seconds;
/** The open loop kept its schedule (within 2 %) and every request was accepted. */
const keptRate = (r: LoadResult): boolean => rate(r) >= 0.98 * RATE && r.failed === 0;

async function submissions(): Promise<void> {
  console.log(
    `submissions: POST /v1/jobs to \`gpupool up --engine fake\` in its own process (SQLite store, scheduler, jobs run by the in-memory engine)`,
  );
  const { closed, open } = await measure(THIS_BIN, "", () =>
    console.log(`  warm-up: ${WARMUP} submissions, not counted`),
  );
  console.log(line(`as fast as ${CONCURRENCY} connections go (${SUBMISSIONS})`, closed));
  console.log(line(`offered at ${RATE}/s (${SUBMISSIONS}; latency from each request's due time)`, open));
  const most = rate(closed);
  const p99 = percentile(open.latencies, 99);
  console.log(
    `  ${most >= 1000 && closed.failed === 0 ? "meets" : "MISSES"} goal ≥ 1,000 submissions/s (${most.toFixed(0)}/s at most)`,
  );
  console.log(
    `  ${keptRate(open) && p99 < 20 && RATE >= 1000 ? "meets" : "MISSES"} goal p99 < 20 ms at 1,000 submissions/s (p99 ${p99.toFixed(2)} ms at ${rate(open).toFixed(0)}/s offered ${RATE}/s)`,
  );
}

// ---- compare mode (BENCH_API_BASELINE) --------------------------------------------------------

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ROUNDS = Number(process.env.BENCH_API_ROUNDS ?? 4);

function git(args: readonly string[], cwd = ROOT): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/**
 * A temp dir for a detached worktree of the baseline: `build(commit)` checks the commit out there,
 * gives it this checkout's node_modules (a symlink: the baseline's dependencies must be a subset of
 * today's) and builds it with its own tsconfig.build.json (this checkout's TypeScript). `remove`
 * takes it away again, whatever step it got to; it is safe to call twice.
 */
function baselineWorktree(): {
  dir: string;
  bin: string;
  build: (commit: string) => Promise<void>;
  remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "gp-bench-baseline-"));
  let removed = false;
  let tsc: ChildProcess | undefined;
  const remove = () => {
    if (removed) return;
    removed = true;
    tsc?.kill("SIGKILL");
    try {
      git(["worktree", "remove", "--force", dir]);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      try {
        git(["worktree", "prune"]);
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const build = async (commit: string) => {
    git(["worktree", "add", "--detach", dir, commit]);
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    // Asynchronous, so a signal during the build is handled at once (and removes the worktree).
    tsc = spawn(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: dir,
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    const code = await new Promise<number | null>((resolve, reject) => {
      tsc!.once("error", reject);
      tsc!.once("exit", resolve);
    });
    tsc = undefined;
    if (code !== 0) throw new Error(`building the baseline ${commit} failed (tsc exited ${code})`);
  };
  return { dir, bin: join(dir, "bin", "gpupool"), build, remove };
}

/** Sorted union of the rounds' latencies. */
function pooled(rs: readonly LoadResult[]): number[] {
  return rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Summary {
  readonly closedRate: number;
  readonly closedRates: readonly number[];
  readonly closedP50: number;
  readonly closedP99: number;
  readonly openRate: number;
  readonly openP50: number;
  readonly openP99: number;
  readonly openMax: number;
  readonly openP99s: readonly number[];
  readonly failed: number;
  readonly kept: boolean;
  /** Server CPU ms per submission in each loop, all runs together. */
  readonly closedCpu: number;
  readonly openCpu: number;
}

function summarize(ms: readonly Measured[]): Summary {
  const closed = pooled(ms.map((m) => m.closed));
  const open = pooled(ms.map((m) => m.open));
  return {
    closedRate: median(ms.map((m) => rate(m.closed))),
    closedRates: ms.map((m) => rate(m.closed)),
    closedP50: percentile(closed, 50),
    closedP99: percentile(closed, 99),
    openRate: Math.min(...ms.map((m) => rate(m.open))),
    openP50: percentile(open, 50),
    openP99: percentile(open, 99),
    openMax: open[open.length - 1]!,
    openP99s: ms.map((m) => percentile(m.open.latencies, 99)),
    failed: ms.reduce((n, m) => n + m.closed.failed + m.open.failed, 0),
    kept: ms.every((m) => keptRate(m.open)),
    closedCpu: ms.reduce((t, m) => t + m.closedCpuMs, 0) / ms.reduce((n, m) => n + m.closed.sent, 0),
    openCpu: ms.reduce((t, m) => t + m.openCpuMs, 0) / ms.reduce((n, m) => n + m.open.sent, 0),
  };
}

async function compare(baseline: string): Promise<void> {
  const dirty = git(["status", "--porcelain", "--untracked-files=no"]) !== "";
  const head = `${git(["rev-parse", "--short", "HEAD"])}${dirty ? "+dirty" : ""}`;
  const baseSha = git(["rev-parse", "--short", `${baseline}^{commit}`]);
  console.log(`baseline ${baseSha} (${git(["log", "-1", "--format=%s", baseSha])})`);
  console.log(
    `this     ${head} (${git(["log", "-1", "--format=%s", "HEAD"])}) — built dist/ of this checkout`,
  );
  console.log(`building the baseline in a temporary worktree …`);
  const wt = baselineWorktree();
  // Ctrl-C or a kill ends the run: the temporary worktree and the servers' data dirs go with it.
  const onSignal = (sig: NodeJS.Signals) => {
    for (const [c, dir] of live) {
      c.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
    wt.remove();
    process.kill(process.pid, sig);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const servers = [
    { name: `this ${head}`, bin: THIS_BIN, runs: [] as Measured[] },
    { name: `baseline ${baseSha}`, bin: wt.bin, runs: [] as Measured[] },
  ] as const;
  try {
    await wt.build(baseSha);
    // One uncounted run of each server first: the first run after the build was the slowest in
    // early trials whichever server it was (the build's writes, cold caches), which biased round 1.
    for (const s of servers) await measureWarmOnly(s.bin);
    console.log(
      `submissions: ${ROUNDS} rounds, each server once a round, the order alternating (this, baseline, baseline, this, …); each a fresh \`gpupool up --engine fake\` process and data dir, after one uncounted run of each; per run ${WARMUP} warm-up, ${SUBMISSIONS} closed loop at ${CONCURRENCY} connections, ${SUBMISSIONS} open loop at ${RATE}/s`,
    );
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [servers[0], servers[1]] : [servers[1], servers[0]];
      for (const s of order) {
        const m = await measure(s.bin, `r${r}-`);
        s.runs.push(m);
        console.log(
          `  round ${r + 1} ${s.name.padEnd(22)} closed ${rate(m.closed).toFixed(0).padStart(5)}/s p99 ${percentile(m.closed.latencies, 99).toFixed(2).padStart(6)} ms ${(m.closedCpuMs / m.closed.sent).toFixed(2)} CPU-ms each; open ${rate(m.open).toFixed(0)}/s p50 ${percentile(m.open.latencies, 50).toFixed(2)} ms p99 ${percentile(m.open.latencies, 99).toFixed(2).padStart(6)} ms; ${m.closed.failed + m.open.failed} failed`,
        );
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    wt.remove();
  }
  const a = summarize(servers[0].runs);
  const b = summarize(servers[1].runs);
  const W = 20;
  const row = (what: string, base: string, cur: string, ratio: string) =>
    console.log(`  ${what.padEnd(40)}${base.padStart(W)}${cur.padStart(W)}${ratio.padStart(16)}`);
  const num = (x: number, d: number) =>
    x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
  // Each round's two runs are next to each other in time: their ratio is the least noisy comparison.
  const paired = a.closedRates.map((x, i) => x / b.closedRates[i]!);
  console.log(
    `\nside by side (${ROUNDS} runs each; submissions/s: median of runs; latencies: all runs' requests pooled):`,
  );
  row("", servers[1].name, servers[0].name, "this/baseline");
  row(
    `closed loop, ${CONCURRENCY} connections: submissions/s`,
    num(b.closedRate, 0),
    num(a.closedRate, 0),
    ratio(a.closedRate, b.closedRate),
  );
  row("  latency p50 ms", num(b.closedP50, 2), num(a.closedP50, 2), ratio(a.closedP50, b.closedP50));
  row("  latency p99 ms", num(b.closedP99, 2), num(a.closedP99, 2), ratio(a.closedP99, b.closedP99));
  row(
    "  server CPU ms per submission",
    num(b.closedCpu, 3),
    num(a.closedCpu, 3),
    ratio(a.closedCpu, b.closedCpu),
  );
  row(`open loop at ${RATE}/s: achieved /s (lowest)`, num(b.openRate, 0), num(a.openRate, 0), "");
  row("  latency p50 ms", num(b.openP50, 2), num(a.openP50, 2), ratio(a.openP50, b.openP50));
  row("  latency p99 ms", num(b.openP99, 2), num(a.openP99, 2), ratio(a.openP99, b.openP99));
  row("  latency max ms", num(b.openMax, 2), num(a.openMax, 2), ratio(a.openMax, b.openMax));
  row("  server CPU ms per submission", num(b.openCpu, 3), num(a.openCpu, 3), ratio(a.openCpu, b.openCpu));
  row("failed requests", String(b.failed), String(a.failed), "");
  const list = (xs: readonly number[], d: number) => xs.map((x) => x.toFixed(d)).join(", ");
  console.log(
    `  per round, closed loop submissions/s: baseline ${list(b.closedRates, 0)}; this ${list(a.closedRates, 0)}`,
  );
  console.log(
    `  per round, this/baseline closed loop: ${paired.map((x) => `${x.toFixed(2)}×`).join(", ")} (median ${median(paired).toFixed(2)}×)`,
  );
  console.log(`  per round, open loop p99 ms: baseline ${list(b.openP99s, 1)}; this ${list(a.openP99s, 1)}`);
  const mark = (ok: boolean) => (ok ? "meets " : "MISSES");
  console.log(`goals for ${servers[0].name}:`);
  console.log(
    `  ${mark(a.closedRate >= b.closedRate)} submissions/s not lower than ${servers[1].name} (${ratio(a.closedRate, b.closedRate)} of the medians; rounds' ratios' median ${median(paired).toFixed(2)}×)`,
  );
  console.log(
    `  ${mark(a.closedRate >= 1000 && a.closedP99 < 20 && a.failed === 0)} ≥ 1,000 submissions/s with p99 < 20 ms at ${CONCURRENCY} connections (${num(a.closedRate, 0)}/s, p99 ${num(a.closedP99, 2)} ms)`,
  );
  console.log(
    `  ${mark(a.kept && a.openP99 < 20 && RATE >= 1000)} p99 < 20 ms at 1,000 submissions/s offered (p99 ${num(a.openP99, 2)} ms at ${RATE}/s, ${a.kept ? "schedule kept" : "schedule NOT kept or failures"})`,
  );
}

function havePodman(): boolean {
  try {
    execFileSync("podman", ["image", "exists", IMAGE], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function startTimes(): Promise<void> {
  if (STARTS < 1) {
    console.log("container start: skipped (BENCH_API_STARTS=0)");
    return;
  }
  if (!havePodman()) {
    console.log(`container start: skipped (needs podman and ${IMAGE}; run .ci/setup-podman.sh)`);
    return;
  }
  const { srv, dir } = await server({ engine: "podman" });
  const pool = new Pool(srv.url, { connections: 2 });
  const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
  const viaGpupool: number[] = [];
  const viaEngine: number[] = [];
  const bare: number[] = [];
  try {
    // Warm both paths once, then alternate so machine noise hits both alike.
    for (let i = -1; i < STARTS; i++) {
      const t0 = performance.now();
      const res = await pool.request({
        method: "POST",
        path: "/v1/jobs",
        headers,
        body: JSON.stringify({
          name: `start-${i + 1}`,
          image: IMAGE,
          command: ["true"],
          cpu: "500m",
          memory: "64Mi",
          gpu: "0.25",
        }),
      });
      const id = ((await res.body.json()) as { jobs: { id: string }[] }).jobs[0]!.id;
      for (;;) {
        const r = await pool.request({ method: "GET", path: `/v1/jobs/${id}`, headers });
        const state = ((await r.body.json()) as { job: { state: string } }).job.state;
        if (state === "Succeeded") break;
        if (state === "Failed" || state === "Cancelled") throw new Error(`job ${id} ended ${state}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const via = performance.now() - t0;
      // The finished job's container is removed in the background (after its logs are archived):
      // let that end first, so it does not overlap the next measurement of either path.
      await srv.agent.settle();
      const e = await timeThroughEngine(srv.engine, {
        name: `gp-bench-engine-${process.pid}-${i + 1}`,
        image: IMAGE,
        command: ["true"],
      });
      const t1 = performance.now();
      execFileSync(
        "podman",
        ["run", "--rm", "--network", "none", "--memory", "64m", "--cpus", "0.5", IMAGE, "true"],
        { stdio: "ignore" },
      );
      const b = performance.now() - t1;
      if (i >= 0) {
        viaGpupool.push(via);
        viaEngine.push(e);
        bare.push(b);
      }
    }
  } finally {
    await pool.close();
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  }
  viaGpupool.sort((a, b) => a - b);
  viaEngine.sort((a, b) => a - b);
  bare.sort((a, b) => a - b);
  const ratio = pct(viaGpupool, 50) / pct(bare, 50);
  console.log(
    `container start (${STARTS} runs each, interleaved; a 0.25-GPU job of \`true\` on simulated GPUs):`,
  );
  console.log(
    `  through gpupool (submit → Succeeded): median ${pct(viaGpupool, 50).toFixed(0)} ms, p90 ${pct(viaGpupool, 90).toFixed(0)} ms`,
  );
  console.log(
    `  engine port alone (create → start → wait → remove): median ${pct(viaEngine, 50).toFixed(0)} ms, p90 ${pct(viaEngine, 90).toFixed(0)} ms`,
  );
  console.log(
    `  bare podman run --rm:                 median ${pct(bare, 50).toFixed(0)} ms, p90 ${pct(bare, 90).toFixed(0)} ms`,
  );
  console.log(`  ratio ${ratio.toFixed(2)}× — ${ratio <= 1.2 ? "meets" : "MISSES"} goal ≤ 1.2×`);
}

async function main(): Promise<void> {
  console.log(`bench:api — node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)}`);
  const baseline = process.env.BENCH_API_BASELINE;
  if (baseline) await compare(baseline);
  else await submissions();
  await startTimes();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
