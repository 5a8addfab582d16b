import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { ArrayView } from "../api/schemas.js";
import { type RunningServer, startServer } from "../server/up.js";

/**
 * `npm run bench:array` (batch arrays, acceptance 2): the same 1,000 trivial tasks as an array with
 * `pack: 50` and with `pack: 1`, 8 tasks at a time on 2 simulated GPUs (0.25 each), through
 * `gpupool up`'s server on this host's engine (Podman or Docker, found as `gpupool up` finds it;
 * BENCH_ARRAY_ENGINE=fake for the in-memory one), one after the other in one run. It prints, for
 * each, the containers started and the wall time from submission to the array's end, and the ratio.
 * BENCH_ARRAY_TASKS and BENCH_ARRAY_PACK change the sizes.
 */

const ADMIN = "gp_bench-array-admin-token-0123456789";
const TASKS = Number(process.env.BENCH_ARRAY_TASKS ?? 1000);
const PACK = Number(process.env.BENCH_ARRAY_PACK ?? 50);
const ENGINE = (process.env.BENCH_ARRAY_ENGINE ?? "auto") as "auto" | "podman" | "docker" | "fake";

interface Result {
  readonly pack: number;
  readonly containers: number;
  readonly seconds: number;
  readonly state: string;
}

async function run(srv: RunningServer, pack: number): Promise<Result> {
  const call = async (method: "GET" | "POST", url: string, body?: unknown) => {
    const res = await srv.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN}` },
      ...(body ? { payload: body as object } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.body}`);
    return JSON.parse(res.body) as { array: ArrayView };
  };
  const t0 = performance.now();
  const { array } = await call("POST", "/v1/jobs", {
    name: `bench-pack-${pack}`,
    image: "localhost/busybox:latest",
    gpu: 0.25,
    // The trivial task: nothing per index, so what is measured is what a task costs gpupool and the engine.
    command: ["sh", "-c", "true $GPUPOOL_ARRAY_INDEXES"],
    array: { indexes: `0-${TASKS - 1}`, parallelism: 8, pack },
  });
  let a = array;
  let shown = 0;
  while (a.state === "Running") {
    await new Promise((r) => setTimeout(r, 100));
    a = (await call("GET", `/v1/arrays/${array.id}`)).array;
    if (performance.now() - shown > 5000) {
      shown = performance.now();
      process.stderr.write(`  pack ${pack}: ${a.progress.succeeded}/${a.progress.total} done\n`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const containers = srv.store.jobs.list({ owner: array.id }).reduce((n, j) => n + j.attempts, 0);
  return { pack, containers, seconds, state: a.state };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "gp-bench-array-"));
  const srv = await startServer({
    simulate: "2xA100-80GB",
    listen: "127.0.0.1:0",
    data: dir,
    adminToken: ADMIN,
    engine: ENGINE,
    out: (line) => {
      if (/^engine:/.test(line)) process.stdout.write(`${line}\n`);
    },
  });
  try {
    console.log(`bench:array: ${TASKS} trivial tasks, 8 at a time on 2 simulated GPUs (0.25 GPU each)`);
    const packed = await run(srv, PACK);
    const single = await run(srv, 1);
    for (const r of [packed, single])
      console.log(
        `  pack ${String(r.pack).padStart(3)}: ${String(r.containers).padStart(5)} containers, ${r.seconds.toFixed(1).padStart(7)} s wall, ${(TASKS / r.seconds).toFixed(1)} indexes/s (${r.state})`,
      );
    console.log(
      `  pack ${PACK} is ${(single.seconds / packed.seconds).toFixed(1)}x faster than pack 1, with ${single.containers / packed.containers}x fewer containers`,
    );
    if (packed.state !== "Succeeded" || single.state !== "Succeeded") process.exitCode = 1;
  } finally {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
