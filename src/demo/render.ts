import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ServiceView } from "../api/schemas.js";
import { GpupoolError } from "../core/errors.js";
import { type RunningServer, startServer } from "../server/up.js";
import { type RenderSample, renderChart } from "./render-chart.js";

/**
 * `gpupool demo render`: a render farm on one host. A small renderer image is built locally from
 * busybox: an httpd whose /cgi-bin/frame renders one frame in RENDER_MS, one frame at a time per
 * replica (a lock stands in for the GPU context a real renderer holds). It runs as a service
 * (min 0, max N, queue target per replica) behind its endpoint on a gpupool server of its own
 * (simulated GPUs, a real engine); a load generator of closed-loop clients sends frames and reports
 * its queue (frames outstanding). The demo prints replicas, queue and frame latency each second,
 * draws them into an SVG, and compares the mean frame latency under the peak load at 1 replica
 * with that at the scaled-out count.
 */

export interface RenderDemoOptions {
  readonly engine?: "auto" | "podman" | "docker";
  /** Where the SVG chart goes. */
  readonly chart: string;
  readonly out: (line: string) => void;
  /** Milliseconds of work per frame (default 100). */
  readonly renderMs?: number;
  /** The most replicas (default 5). */
  readonly maxReplicas?: number;
  /** Clients at peak (default 10): each keeps one frame outstanding. */
  readonly peakClients?: number;
  /** Seconds of one client before the peak (default 3), of the peak (default 14). */
  readonly warmSeconds?: number;
  readonly peakSeconds?: number;
  /** Seconds between two scalings (default 8): how long the peak runs at 1 replica before the farm scales out. */
  readonly cooldownSeconds?: number;
  /** Seconds idle before the last replica goes (default 4). */
  readonly idleSeconds?: number;
}

export interface LatencyAt {
  readonly replicas: number;
  readonly frames: number;
  readonly meanMs: number;
}

export interface RenderDemoResult {
  /** Mean latency of the peak's frames by the ready replicas they were rendered under. */
  readonly peak: readonly LatencyAt[];
  /** Mean latency at 1 replica over that at the most replicas the peak reached. */
  readonly ratio: number;
  readonly maxReady: number;
  readonly frames: number;
  readonly failed: number;
  /** Whether the farm went back to 0 replicas after the load stopped. */
  readonly scaledToZero: boolean;
  readonly chart: string;
}

export const RENDERER_IMAGE = "localhost/gpupool-renderer:demo";

const FRAME_CGI = `#!/bin/sh
# One frame at a time per replica: a real renderer holds one GPU context.
until mkdir /tmp/gpu.lock 2>/dev/null; do usleep 2000; done
usleep \${RENDER_MS:-100}000
rmdir /tmp/gpu.lock
printf 'Content-Type: text/plain\\r\\n\\r\\nframe by replica %s\\n' "$GPUPOOL_REPLICA"
`;

const SERVE = `#!/bin/sh
# gpupool gives each replica its port in $PORT (host network; the service endpoint reaches it there).
httpd -f -p 127.0.0.1:\${PORT:-8080} -h /www & p=$!
trap 'kill $p; exit 0' TERM INT
wait $p
`;

const CONTAINERFILE = `FROM localhost/busybox:latest
COPY frame /www/cgi-bin/frame
COPY serve /serve
CMD ["/bin/sh", "/serve"]
`;

const run = promisify(execFile);

/** Builds the renderer image with the engine's CLI (the image holds two busybox scripts). */
export async function buildRenderer(kind: "podman" | "docker"): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "gp-renderer-"));
  try {
    await writeFile(join(dir, "frame"), FRAME_CGI, { mode: 0o755 });
    await writeFile(join(dir, "serve"), SERVE, { mode: 0o755 });
    await writeFile(join(dir, "Containerfile"), CONTAINERFILE);
    await run(kind, ["build", "-q", "-t", RENDERER_IMAGE, "-f", join(dir, "Containerfile"), dir], {
      env: { ...process.env, ...(kind === "docker" ? { DOCKER_BUILDKIT: "0" } : {}) },
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new GpupoolError(
      "GP_ENGINE_ERROR",
      `building ${RENDERER_IMAGE} with ${kind} failed (it needs localhost/busybox:latest, see README): ${(e.stderr ?? e.message).trim()}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Frame {
  readonly end: number;
  readonly ms: number;
  readonly peak: boolean;
  readonly readyAtStart: number;
  readonly readyAtEnd: number;
}

export async function runRenderDemo(o: RenderDemoOptions): Promise<RenderDemoResult> {
  const renderMs = o.renderMs ?? 100;
  const maxReplicas = o.maxReplicas ?? 5;
  const peakClients = o.peakClients ?? 10;
  const warm = (o.warmSeconds ?? 3) * 1000;
  const peakMs = (o.peakSeconds ?? 14) * 1000;
  const data = await mkdtemp(join(tmpdir(), "gp-render-demo-"));
  let server: RunningServer | undefined;
  try {
    server = await startServer({
      engine: o.engine ?? "auto",
      simulate: "2xA100-80GB",
      data,
      listen: "127.0.0.1:0",
      out: () => {},
    });
    const kind = server.engine.kind;
    if (kind !== "podman" && kind !== "docker")
      throw new GpupoolError(
        "GP_ENGINE_UNAVAILABLE",
        `the render demo needs Podman or Docker (found ${kind})`,
      );
    const token = server.newAdminToken;
    if (!token) throw new GpupoolError("GP_INTERNAL", "the demo's fresh server minted no admin token");
    o.out(`gpupool demo render: ${kind}, 2 SIMULATED A100-80GB GPUs, server ${server.url}`);
    o.out(
      `building the renderer image ${RENDERER_IMAGE} (busybox httpd; ${renderMs} ms a frame, one at a time)`,
    );
    await buildRenderer(kind);
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${server!.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await res.json()) as T & { code?: string; message?: string };
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${json.message}`);
      return json;
    };
    const port = await freePort();
    const cooldownSeconds = o.cooldownSeconds ?? 8;
    const idleSeconds = o.idleSeconds ?? 4;
    const { service } = await api<{ service: ServiceView }>("POST", "/v1/jobs", {
      name: "render",
      image: RENDERER_IMAGE,
      cpu: "100m",
      memory: "32Mi",
      gpu: 0.25,
      stopGraceSeconds: 5,
      env: { RENDER_MS: String(renderMs) },
      service: {
        minReplicas: 0,
        maxReplicas,
        port,
        autoscale: {
          metric: "queue",
          targetPerReplica: peakClients / maxReplicas,
          cooldownSeconds,
          idleSeconds,
        },
      },
    });
    o.out(
      `service render (${service.id}): 0..${maxReplicas} replicas at ${peakClients / maxReplicas} queued frames each, cooldown ${cooldownSeconds} s, to 0 after ${idleSeconds} s idle; endpoint http://127.0.0.1:${port}`,
    );
    o.out(`load: 1 client for ${warm / 1000} s, ${peakClients} for ${peakMs / 1000} s, then none`);

    const frames: Frame[] = [];
    let failed = 0;
    const failures: string[] = [];
    let ready = 0;
    let wanted = 0;
    let phasePeak = false;
    const outstanding = new Set<number>();
    const clients = new Map<number, Promise<void>>();
    const client = async (i: number) => {
      while (i < wanted) {
        const start = Date.now();
        const readyAtStart = ready;
        const peak = phasePeak;
        outstanding.add(i);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/cgi-bin/frame`);
          const text = await res.text();
          if (res.status !== 200) {
            failed++;
            failures.push(`${res.status} ${text.slice(0, 200)}`);
          } else {
            const end = Date.now();
            frames.push({ end, ms: end - start, peak: peak && phasePeak, readyAtStart, readyAtEnd: ready });
          }
        } catch (err) {
          failed++;
          failures.push(String((err as Error).cause ?? err));
        } finally {
          outstanding.delete(i);
        }
      }
      clients.delete(i);
    };
    const load = (n: number) => {
      wanted = n;
      for (let i = 0; i < n; i++) if (!clients.has(i)) clients.set(i, client(i));
    };

    const t0 = Date.now();
    const samples: RenderSample[] = [];
    let lastSample = t0;
    let lastPrint = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const queue = outstanding.size;
        await api("POST", `/v1/services/${service.id}/metrics`, { queue }).catch(() => {});
        const v = (await api<{ service: ServiceView }>("GET", `/v1/services/${service.id}`)).service;
        ready = v.ready;
        const now = Date.now();
        const recent = frames.filter((f) => f.end > lastSample && f.end <= now);
        lastSample = now;
        const latencyMs = recent.length > 0 ? recent.reduce((s, f) => s + f.ms, 0) / recent.length : null;
        const t = (now - t0) / 1000;
        samples.push({ t, replicas: v.ready, queue, latencyMs });
        if (now - lastPrint >= 1000) {
          lastPrint = now;
          const last = frames.filter((f) => f.end > now - 1000);
          const mean =
            last.length > 0 ? `${Math.round(last.reduce((s, f) => s + f.ms, 0) / last.length)} ms` : "-";
          o.out(
            `${t.toFixed(1).padStart(6)} s  replicas ${v.ready}/${v.desired}  queue ${String(queue).padStart(2)}  frame latency ${mean}`,
          );
        }
        await sleep(250);
      }
    })();

    load(1);
    await sleep(warm);
    phasePeak = true;
    load(peakClients);
    await sleep(peakMs);
    phasePeak = false;
    load(0);
    await Promise.all(clients.values());
    let scaledToZero = false;
    const deadline = Date.now() + (cooldownSeconds + idleSeconds) * 1000 * 2 + 30_000;
    while (Date.now() < deadline) {
      const v = (await api<{ service: ServiceView }>("GET", `/v1/services/${service.id}`)).service;
      if (v.live === 0 && v.desired === 0) {
        scaledToZero = true;
        break;
      }
      await sleep(250);
    }
    sampling = false;
    await sampler;
    o.out(scaledToZero ? "idle: back to 0 replicas" : "idle: did NOT get back to 0 replicas in time");

    // The peak's frames rendered under one replica count from start to end, by that count.
    const byCount = new Map<number, number[]>();
    for (const f of frames)
      if (f.peak && f.readyAtStart === f.readyAtEnd && f.readyAtStart > 0)
        byCount.set(f.readyAtStart, [...(byCount.get(f.readyAtStart) ?? []), f.ms]);
    const peak = [...byCount.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([replicas, ms]) => ({
        replicas,
        frames: ms.length,
        meanMs: ms.reduce((a, b) => a + b, 0) / ms.length,
      }));
    const maxReady = Math.max(0, ...samples.map((s) => s.replicas));
    const one = peak.find((p) => p.replicas === 1);
    const most = peak.find((p) => p.replicas === maxReady);
    const ratio = one && most ? one.meanMs / most.meanMs : Number.NaN;
    o.out("peak load: mean frame latency by ready replicas");
    for (const p of peak)
      o.out(`  ${p.replicas} replica(s): ${Math.round(p.meanMs)} ms over ${p.frames} frames`);
    o.out(
      `latency falls ${Number.isNaN(ratio) ? "(not measured: the peak did not run at both counts)" : `${ratio.toFixed(2)}×`} from 1 replica to ${maxReady}; ${frames.length} frames, ${failed} failed`,
    );
    for (const f of failures.slice(0, 3)) o.out(`  failed: ${f}`);
    await writeFile(
      o.chart,
      renderChart(
        samples,
        `gpupool render farm: ${peakClients} clients at peak, ${renderMs} ms a frame, 0..${maxReplicas} replicas`,
      ),
    );
    o.out(`chart: ${o.chart}`);
    await api("POST", `/v1/services/${service.id}/stop`).catch(() => {});
    return { peak, ratio, maxReady, frames: frames.length, failed, scaledToZero, chart: o.chart };
  } finally {
    await server?.close();
    // A Podman service the server started is closed with it; another engine client is closed here.
    if (server && server.engine.kind !== "podman") await server.engine.close().catch(() => {});
    await rm(data, { recursive: true, force: true });
  }
}
