import { performance } from "node:perf_hooks";
import { Pool } from "undici";

/**
 * Load generators for POST /v1/jobs. Latencies are in milliseconds, sorted.
 * - closedLoop: `connections` clients, each sending its next request when the last one answered —
 *   the most the server takes; at that rate every request queues behind the others in flight, so its
 *   latency is connections ÷ throughput by Little's law.
 * - openLoop: requests sent on a fixed schedule (`rate` per second) whatever the answers, each
 *   latency counted from when it was due, not from when it was sent: a server stall delays every
 *   request scheduled during it and all of them count (no coordinated omission). This is what
 *   "p99 at N requests/s" means.
 */

export interface LoadResult {
  readonly sent: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latencies: number[];
  /** First failures' status and body, for the report. */
  readonly errors: string[];
}

export interface LoadOptions {
  readonly url: string;
  readonly token: string;
  readonly count: number;
  /** The body of request i. */
  readonly body: (i: number) => unknown;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

class Recorder {
  readonly latencies: number[] = [];
  readonly errors: string[] = [];
  failed = 0;
  async send(pool: Pool, opts: LoadOptions, i: number, from: number): Promise<void> {
    const res = await pool.request({
      method: "POST",
      path: "/v1/jobs",
      headers: { authorization: `Bearer ${opts.token}`, "content-type": "application/json" },
      body: JSON.stringify(opts.body(i)),
    });
    const text = await res.body.text();
    this.latencies.push(performance.now() - from);
    if (res.statusCode >= 300) {
      this.failed++;
      if (this.errors.length < 3) this.errors.push(`${res.statusCode} ${text.slice(0, 200)}`);
    }
  }
  result(sent: number, seconds: number): LoadResult {
    this.latencies.sort((a, b) => a - b);
    return { sent, failed: this.failed, seconds, latencies: this.latencies, errors: this.errors };
  }
}

export async function closedLoop(opts: LoadOptions & { connections: number }): Promise<LoadResult> {
  const pool = new Pool(opts.url, { connections: opts.connections });
  const rec = new Recorder();
  let next = 0;
  const client = async () => {
    for (let i = next++; i < opts.count; i = next++) await rec.send(pool, opts, i, performance.now());
  };
  const t0 = performance.now();
  try {
    await Promise.all(Array.from({ length: opts.connections }, client));
  } finally {
    await pool.close();
  }
  return rec.result(opts.count, (performance.now() - t0) / 1000);
}

export async function openLoop(
  opts: LoadOptions & { rate: number; connections: number },
): Promise<LoadResult> {
  const pool = new Pool(opts.url, { connections: opts.connections });
  const rec = new Recorder();
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let sent = 0;
  try {
    while (sent < opts.count) {
      const due = Math.min(opts.count, Math.floor(((performance.now() - t0) * opts.rate) / 1000) + 1);
      for (; sent < due; sent++) inFlight.push(rec.send(pool, opts, sent, t0 + (sent * 1000) / opts.rate));
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(inFlight);
  } finally {
    await pool.close();
  }
  return rec.result(opts.count, (performance.now() - t0) / 1000);
}
