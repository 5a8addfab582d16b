import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { median, timeBarePodmanRun } from "../engines/start-latency.js";
import { findOnPath } from "../engines/detect.js";
import { startServer } from "./up.js";

/**
 * `npm run bench:api`: (1) job submissions per second and their latency through the HTTP API on
 * loopback with the SQLite store (WAL, synchronous=FULL) and the scheduler running; (2) a container's
 * start-to-exit time through gpupool (submit → Succeeded) against a bare `podman run` of the same image.
 * Goals: ≥ 1,000 submissions/s, p99 < 20 ms; ≤ 1.2× bare podman.
 */

const TOKEN = "gp_bench-admin-token-0123456789";
const IMAGE = "localhost/busybox:latest";

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function benchSubmissions(total: number, concurrency: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "gp-bench-"));
  const server = await startServer({ engine: "fake", simulate: "1xA100-80GB", data: dir, listen: "127.0.0.1:0", adminToken: TOKEN });
  const pool = new Pool(server.url, { connections: concurrency, pipelining: 1 });
  try {
    const body = (i: number) =>
      JSON.stringify({
        name: `bench-${i}`,
        image: IMAGE,
        cpu: "100m",
        memory: "64Mi",
        // An H100 on an A100 host: every job stays Pending, so the scheduler sees all of them each cycle.
        gpu: 0.25,
        gpuModels: ["H100-80GB"],
        clientRequestId: `bench-${i}`,
      });
    const submit = async (i: number) => {
      const t0 = performance.now();
      const res = await pool.request({
        method: "POST",
        path: "/v1/jobs",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: body(i),
      });
      await res.body.dump();
      if (res.statusCode !== 201) throw new Error(`submission ${i}: HTTP ${res.statusCode}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 200; i++) await submit(-1 - i); // warm-up
    const latencies: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) latencies.push(await submit(next++));
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const rate = total / secs;
    console.log(
      `API: ${total} submissions in ${secs.toFixed(2)} s = ${Math.round(rate)}/s; latency p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms ` +
        `(SQLite WAL synchronous=FULL, ${concurrency} concurrent, loopback; goal >= 1000/s, p99 < 20 ms: ${rate >= 1000 && pct(latencies, 99) < 20 ? "met" : "NOT met"})`,
    );
  } finally {
    await pool.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchStart(runs: number): Promise<void> {
  const why = !findOnPath("podman", process.env.PATH)
    ? "podman is not installed (.ci/setup-podman.sh)"
    : process.getuid?.() !== 0
      ? "needs root (rootful Podman)"
      : undefined;
  if (why) {
    console.log(`start time: skipped (${why})`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "gp-bench-"));
  const server = await startServer({ engine: "podman", simulate: "1xA100-80GB", data: dir, listen: "127.0.0.1:0", adminToken: TOKEN });
  const pool = new Pool(server.url, { connections: 2 });
  const call = async (method: "GET" | "POST" | "DELETE", path: string, body?: unknown) => {
    const res = await pool.request({
      method,
      path,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.body.json()) as { jobs?: { id: string }[]; job?: { id: string; state: string } };
  };
  try {
    if (!(await server.engine.inspectImage(IMAGE))) {
      console.log(`start time: skipped (${IMAGE} is missing; .ci/setup-podman.sh builds it)`);
      return;
    }
    const viaGpupool = async (i: number) => {
      const t0 = performance.now();
      const id = (await call("POST", "/v1/jobs", { name: `start-${i}`, image: IMAGE, cpu: "100m", memory: "64Mi", gpu: 0.25, command: ["true"] })).jobs![0]!.id;
      for (;;) {
        const state = (await call("GET", `/v1/jobs/${id}`)).job!.state;
        if (state === "Succeeded") break;
        if (state === "Failed" || state === "Cancelled") throw new Error(`bench job ${id} ${state}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const ms = performance.now() - t0;
      await call("DELETE", `/v1/jobs/${id}`);
      return ms;
    };
    await viaGpupool(-1);
    await timeBarePodmanRun(IMAGE, ["true"]);
    const ours: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(await viaGpupool(i));
      bare.push(await timeBarePodmanRun(IMAGE, ["true"]));
    }
    const ratio = median(ours) / median(bare);
    console.log(
      `start: gpupool submit→Succeeded ${median(ours).toFixed(0)} ms vs bare \`podman run --rm\` ${median(bare).toFixed(0)} ms ` +
        `(median of ${runs}) = ${ratio.toFixed(2)}× (goal <= 1.2×: ${ratio <= 1.2 ? "met" : "NOT met"})`,
    );
  } finally {
    await pool.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const total = Number(process.env.BENCH_SUBMISSIONS ?? 5000);
await benchSubmissions(total, Number(process.env.BENCH_CONCURRENCY ?? 16));
await benchStart(Number(process.env.BENCH_START_RUNS ?? 7));
