import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { JobView } from "../api/schemas.js";
import { DEFAULT_LOG_CAP_BYTES } from "../agent/log-archive.js";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { LABELS } from "../engines/labels.js";
import { PodmanEngine } from "../engines/podman.js";
import { api, podmanSession, TOKEN } from "./test-support/kill9-suite.js";

/**
 * Issue 10, acceptance 5 on real Podman: a job printing 36 MB of short lines. `gpupool up` (the
 * binary, its own process) keeps its peak RSS under 300 MB, archives the log up to its cap with a
 * marker line, and removes the container.
 */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the log cap test on Podman: ${why}`);

/** The peak resident set of a process, in MiB (Linux: VmHWM). */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

describe.skipIf(why !== undefined)("a job printing 36 MB of logs (real Podman)", () => {
  const session = podmanSession("gp-logcap-");
  afterAll(() => session.stop(), 60_000);

  it("server RSS < 300 MB; the log kept up to the cap with a marker; the container removed", async () => {
    const current = await session.start();
    const data = session.data;
    const { jobs } = await api<{ jobs: JobView[] }>(current.url, "POST", "/v1/jobs", {
      name: "chatty",
      image: "localhost/busybox:latest",
      // 36,000,000 bytes in lines of 37 (36 characters and a newline): 972,973 lines.
      command: ["sh", "-c", "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 36000000"],
    });
    const id = jobs[0]!.id;
    const started = Date.now();
    let job = jobs[0]!;
    while (!["Succeeded", "Failed"].includes(job.state)) {
      if (Date.now() - started > 240_000) throw new Error(`still ${job.state}`);
      await new Promise((r) => setTimeout(r, 250));
      job = (await api<{ job: JobView }>(current.url, "GET", `/v1/jobs/${id}`)).job;
    }
    expect(job.state).toBe("Succeeded");
    // The logs as the API gives them, streamed: the first lines whole, the marker last.
    const res = await fetch(`${current.url}/v1/jobs/${id}/logs`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    let count = 0;
    let bytes = 0;
    let last = "";
    let bad = 0;
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of res.body!) {
      rest += decoder.decode(chunk as Uint8Array, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const p of parts) {
        if (!p) continue;
        bytes += p.length + 1;
        count++;
        last = (JSON.parse(p) as { text: string }).text;
        if (last !== "0123456789abcdefghijklmnopqrstuvwxyz" && !last.startsWith("[gpupool: log cut")) {
          bad++;
          if (bad < 4) console.log(`odd line ${count}: ${JSON.stringify(p)}`);
        }
      }
    }
    const rss = peakRssMiB(current.child.pid!);
    console.log(
      `36 MB of logs: gpupool up peak RSS ${rss.toFixed(0)} MiB; ${count - 1} lines kept (${(bytes / 2 ** 20).toFixed(1)} MiB as NDJSON, cap ${DEFAULT_LOG_CAP_BYTES / 2 ** 20} MiB); ${Math.round((Date.now() - started) / 1000)} s; ${last}`,
    );
    expect(rss).toBeLessThan(300);
    expect(bad).toBe(0);
    expect(last).toMatch(/^\[gpupool: log cut at \d+ bytes; \d+ more line\(s\), \d+ bytes, not kept\]$/);
    const dropped = Number(/; (\d+) more line/.exec(last)![1]);
    expect(count - 1 + dropped).toBe(972_973);

    // The container is removed once its log is archived.
    const db = new Database(join(data, "gpupool.db"), { readonly: true });
    const instance = (
      db.prepare("SELECT value FROM meta WHERE key = 'instance_id'").get() as { value: string }
    ).value;
    db.close();
    const lister = new PodmanEngine({ socketPath: join(data, "podman.sock") });
    try {
      let left = await lister.list({ [LABELS.instance]: instance });
      for (const end = Date.now() + 10_000; left.length > 0 && Date.now() < end; ) {
        await new Promise((r) => setTimeout(r, 200));
        left = await lister.list({ [LABELS.instance]: instance });
      }
      expect(left.map((c) => c.name)).toEqual([]);
    } finally {
      await lister.close();
    }
  }, 300_000);
});
