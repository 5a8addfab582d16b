import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { FakeEngine } from "../engines/fake.js";
import { timeThroughEngine } from "../engines/start-latency.js";
import { type RunningServer, startServer, type UpOptions } from "../server/up.js";

/**
 * `npm run bench:api` (issue #4, acceptance 8):
 *  1. submissions/s and latency percentiles of POST /v1/jobs over loopback HTTP, with the real SQLite
 *     store and scheduler (the fake engine runs the containers, so the engine is not what is measured);
 *  2. container start time through gpupool (submit → Succeeded of `true` on real Podman) and through the
 *     engine port alone (what the removed start-latency unit test timed) against a bare
 *     `podman run --rm` of the same image, side by side in one run.
 * Goals: ≥ 1,000 submissions/s, p99 < 20 ms, start time ≤ 1.2 × bare podman.
 */

const ADMIN = "gp_bench-admin-token-0123456789abcdef";
const SUBMISSIONS = Number(process.env.BENCH_API_SUBMISSIONS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_API_CONCURRENCY ?? 8);
const STARTS = Number(process.env.BENCH_API_STARTS ?? 10);
const IMAGE = "localhost/busybox:latest";

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

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

async function submissions(): Promise<void> {
  const { srv, dir } = await server({ engineInstance: new FakeEngine() });
  const pool = new Pool(srv.url, { connections: CONCURRENCY });
  const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= SUBMISSIONS) return;
      const body = JSON.stringify({
        name: `bench-${i}`,
        image: IMAGE,
        command: ["true"],
        cpu: "100m",
        memory: "64Mi",
        clientRequestId: `bench-${i}`,
      });
      const t0 = performance.now();
      const res = await pool.request({ method: "POST", path: "/v1/jobs", headers, body });
      await res.body.text();
      latencies.push(performance.now() - t0);
      if (res.statusCode >= 300) failed++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  await srv.close();
  await rm(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const rate = SUBMISSIONS / seconds;
  const p99 = pct(latencies, 99);
  console.log(`submissions: ${SUBMISSIONS} POST /v1/jobs, ${CONCURRENCY} connections, ${failed} failed`);
  console.log(
    `  ${rate.toFixed(0)} submissions/s; latency p50 ${pct(latencies, 50).toFixed(2)} ms, p90 ${pct(latencies, 90).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${latencies[latencies.length - 1]!.toFixed(2)} ms`,
  );
  console.log(
    `  ${rate >= 1000 ? "meets" : "MISSES"} goal ≥ 1,000 submissions/s; ${p99 < 20 ? "meets" : "MISSES"} goal p99 < 20 ms`,
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
