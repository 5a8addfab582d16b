import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { ArrayView } from "../api/schemas.js";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { api, podmanSession, TOKEN } from "./test-support/kill9-suite.js";

/**
 * Batch arrays, acceptance 1 on real Podman: 1,000 tasks, 8 at a time on 2 simulated GPUs (0.25
 * each), gpupool killed with -9 halfway and started again. Every index runs to success exactly
 * once (one job per index, one start in its log), except index 777, which fails, is
 * retried once and counted failed.
 */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the array kill -9 test on Podman: ${why}`);

const TOTAL = 1000;
const FAILING = 777;

describe.skipIf(why !== undefined)("a batch array survives kill -9 (real Podman)", () => {
  const session = podmanSession("gp-array-kill9-", "2xA100-80GB");
  afterAll(() => session.stop(), 120_000);

  const array = async (id: string) =>
    (await api<{ array: ArrayView }>(session.up.url, "GET", `/v1/arrays/${id}`)).array;

  it("1,000 tasks, parallelism 8, kill -9 halfway: no index lost or run twice", async () => {
    const submitted = await api<{ array: ArrayView }>((await session.start()).url, "POST", "/v1/jobs", {
      name: "frames",
      image: "localhost/busybox:latest",
      cpu: "100m",
      memory: "32Mi",
      gpu: 0.25,
      restartPolicy: "OnFailure",
      backoffLimit: 1,
      backoffSeconds: 0,
      stopGraceSeconds: 1,
      command: [
        "sh",
        "-c",
        `echo start $GPUPOOL_ARRAY_INDEX attempt $GPUPOOL_ATTEMPT; [ "$GPUPOOL_ARRAY_INDEX" = ${FAILING} ] && exit 3; echo done`,
      ],
      array: { indexes: `0-${TOTAL - 1}`, parallelism: 8 },
    });
    const id = submitted.array.id;
    const started = Date.now();
    for (let a = await array(id); a.progress.succeeded + a.progress.failed < TOTAL / 2; a = await array(id)) {
      if (Date.now() - started > 300_000) throw new Error(`too slow: ${JSON.stringify(a.progress)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const before = await array(id);
    await session.kill9();
    const current = await session.restart();
    let end = await array(id);
    while (end.state === "Running") {
      if (Date.now() - started > 600_000) throw new Error(`too slow: ${JSON.stringify(end.progress)}`);
      await new Promise((r) => setTimeout(r, 250));
      end = await array(id);
    }
    console.log(
      `array of ${TOTAL} on Podman: killed at ${before.progress.succeeded} done, ${before.progress.running} running; ended ${end.state} after ${Math.round((Date.now() - started) / 1000)} s`,
    );
    expect(end.state).toBe("Failed");
    expect(end.progress).toEqual({ total: TOTAL, succeeded: TOTAL - 1, failed: 1, running: 0, pending: 0 });

    // One job per index, ever. A task caught between its bind and its container's start by the kill
    // never ran: it was requeued, so its one run is attempt 2 (at most the 8 in flight).
    const db = new Database(join(session.data, "gpupool.db"), { readonly: true });
    const rows = db
      .prepare("SELECT id, owner_slot AS slot, state, attempts FROM jobs WHERE owner = ? ORDER BY owner_slot")
      .all(id) as { id: string; slot: number; state: string; attempts: number }[];
    // How often each task's container was seen running (its → Running transitions).
    const ran = new Map(
      (
        db
          .prepare(
            "SELECT job_id AS id, count(*) AS n FROM job_events WHERE to_state = 'Running' AND job_id IN (SELECT id FROM jobs WHERE owner = ?) GROUP BY job_id",
          )
          .all(id) as { id: string; n: number }[]
      ).map((r) => [r.id, r.n]),
    );
    db.close();
    expect(rows.map((r) => r.slot)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    const requeued = rows.filter((r) => r.slot !== FAILING && r.attempts > 1);
    expect(requeued.length).toBeLessThanOrEqual(8);
    for (const r of rows)
      expect([r.slot, r.state, r.attempts]).toEqual(
        r.slot === FAILING ? [r.slot, "Failed", 2] : [r.slot, "Succeeded", r.attempts > 1 ? 2 : 1],
      );
    // Each ran exactly once (the failing one twice), and its log holds that run's one start.
    for (const r of rows) {
      expect([r.slot, ran.get(r.id)]).toEqual([r.slot, r.slot === FAILING ? 2 : 1]);
      const res = await fetch(`${current.url}/v1/jobs/${r.id}/logs`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const starts = (await res.text())
        .split("\n")
        .filter((l) => l.includes("start "))
        .map((l) => (JSON.parse(l) as { text: string }).text);
      expect(starts, `index ${r.slot}`).toEqual(
        r.slot === FAILING
          ? [`start ${r.slot} attempt 2`] // the logs are the last attempt's
          : [`start ${r.slot} attempt ${r.attempts}`],
      );
    }
    console.log(`requeued at the restart, never having run: ${requeued.length} task(s)`);
  }, 700_000);
});
