import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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
 * the server's event loop (its own work would show up as the server's latency).
 */
async function serverProcess(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "gp-bench-"));
  const bin = fileURLToPath(new URL("../../bin/gpupool", import.meta.url));
  const child = spawn(
    process.execPath,
    [bin, "up", "--engine", "fake", "--simulate", "8xA100-80GB", "--listen", "127.0.0.1:0", "--data", dir],
    { env: { ...process.env, GPUPOOL_ADMIN_TOKEN: ADMIN }, stdio: ["ignore", "pipe", "inherit"] },
  );
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

async function submissions(): Promise<void> {
  const { url, child, dir } = await serverProcess();
  const base = { url, token: ADMIN };
  try {
    console.log(
      `submissions: POST /v1/jobs to \`gpupool up --engine fake\` in its own process (SQLite store, scheduler, jobs run by the in-memory engine)`,
    );
    await closedLoop({ ...base, count: WARMUP, connections: CONCURRENCY, body: jobBody("warm") });
    console.log(`  warm-up: ${WARMUP} submissions, not counted`);
    const closed = await closedLoop({
      ...base,
      count: SUBMISSIONS,
      connections: CONCURRENCY,
      body: jobBody("closed"),
    });
    console.log(line(`as fast as ${CONCURRENCY} connections go (${SUBMISSIONS})`, closed));
    const open = await openLoop({
      ...base,
      count: SUBMISSIONS,
      rate: RATE,
      connections: 64,
      body: jobBody("open"),
    });
    console.log(line(`offered at ${RATE}/s (${SUBMISSIONS}; latency from each request's due time)`, open));
    const most = closed.sent / closed.seconds;
    const p99 = percentile(open.latencies, 99);
    const kept = open.sent / open.seconds >= 0.98 * RATE && open.failed === 0;
    console.log(
      `  ${most >= 1000 && closed.failed === 0 ? "meets" : "MISSES"} goal ≥ 1,000 submissions/s (${most.toFixed(0)}/s at most)`,
    );
    console.log(
      `  ${kept && p99 < 20 && RATE >= 1000 ? "meets" : "MISSES"} goal p99 < 20 ms at 1,000 submissions/s (p99 ${p99.toFixed(2)} ms at ${(open.sent / open.seconds).toFixed(0)}/s offered ${RATE}/s)`,
    );
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
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
  await submissions();
  await startTimes();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
