import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cliServer, gpupool } from "./test-support/gpupool-bin.js";

/** `gpupool run` and signals, like `docker run` (real bin/gpupool against a real server). */

let srv: CliServer;
beforeAll(async () => {
  srv = await cliServer(["--simulate", "2xA100-80GB"]);
}, 60_000);
afterAll(async () => {
  await srv?.close();
});

const IMAGE = "localhost/busybox:latest";
/** A shell as PID 1 ignores SIGTERM unless it traps it: this one ends at once when stopped. */
const ON_TERM_EXIT = "trap 'exit 143' TERM";

async function job(id: string): Promise<{ state: string; reason: string | null }> {
  const r = await gpupool(["get", id, "-o", "json"], srv.env);
  expect(r.code, r.err).toBe(0);
  return (JSON.parse(r.out) as { job: { state: string; reason: string | null } }).job;
}

describe("run and Ctrl-C", () => {
  it("Ctrl-C during run --wait stops the job gracefully, waits for it, and exits 130 with it Cancelled", async () => {
    let sent = false;
    const r = await gpupool(
      [
        "run",
        "--wait",
        "--gpu",
        "0.5",
        IMAGE,
        "--",
        "sh",
        "-c",
        `${ON_TERM_EXIT}; echo ready; sleep 600 & wait`,
      ],
      srv.env,
      {
        timeoutMs: 30_000,
        onOut: (out, child) => {
          if (!sent && out.includes("ready")) {
            sent = true;
            child.kill("SIGINT");
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.code, r.err).toBe(130);
    expect(r.err).toMatch(/stopping j-\S+ .*Ctrl-C again to detach/);
    const id = /job (j-\S+) Cancelled/.exec(r.err)?.[1];
    expect(id, r.err).toBeDefined();
    expect((await job(id!)).state).toBe("Cancelled");
  }, 40_000);

  it("a second Ctrl-C detaches at once and says how to follow the job, which goes on stopping", async () => {
    let sent = 0;
    let detachAt = 0;
    const r = await gpupool(
      [
        "run",
        "--wait",
        IMAGE,
        "--",
        "sh",
        "-c",
        // ignores SIGTERM: the stop lasts its whole grace period (10 s), so the CLI must detach first
        "trap '' TERM; echo ready; sleep 600",
      ],
      srv.env,
      {
        timeoutMs: 30_000,
        onOut: (out, child) => {
          if (sent === 0 && out.includes("ready")) {
            sent = 1;
            child.kill("SIGINT");
          }
        },
        onErr: (err, child) => {
          if (sent === 1 && err.includes("Ctrl-C again to detach")) {
            sent = 2;
            detachAt = Date.now();
            child.kill("SIGINT");
          }
        },
      },
    );
    expect(sent).toBe(2);
    expect(r.code, r.err).toBe(130);
    // "at once": well inside the 10 s grace period the job is still in
    expect(Date.now() - detachAt).toBeLessThan(5000);
    const id = /gpupool logs -f (j-\S+)/.exec(r.err)?.[1];
    expect(id, r.err).toBeDefined();
    expect(["Running", "Cancelled"]).toContain((await job(id!)).state);
  }, 40_000);

  it("run -d prints the id and returns at once; -d with --wait is refused", async () => {
    const r = await gpupool(
      ["run", "-d", IMAGE, "--", "sh", "-c", `${ON_TERM_EXIT}; sleep 600 & wait`],
      srv.env,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toMatch(/^j-\S+$/);
    const both = await gpupool(["run", "-d", "--wait", IMAGE, "--", "true"], srv.env);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/error\[GP_INVALID_ARGUMENT\].*--wait and -d\/--detach/);
    await gpupool(["stop", r.out.trim()], srv.env);
  });
});

describe("stop -t", () => {
  it("sets the grace period of this stop and says what it waits for", async () => {
    const run = await gpupool(["run", "-d", IMAGE, "--", "sleep", "600"], srv.env); // ignores SIGTERM
    const id = run.out.trim();
    for (let i = 0; i < 100 && (await job(id)).state !== "Running"; i++)
      await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const r = await gpupool(["stop", "-t", "4", id], srv.env);
    const took = Date.now() - t0;
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`stopping ${id}: SIGTERM, then SIGKILL after 4 s`);
    expect(r.err).toMatch(new RegExp(`still stopping ${id} \\(3 s\\)`));
    expect(r.out.trim()).toBe(`${id} Cancelled (exit 137)`);
    expect(took).toBeGreaterThanOrEqual(4000);
    expect(took).toBeLessThan(9000); // not the job's own 10 s
    const bad = await gpupool(["stop", "-t", "soon", id], srv.env);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/error\[GP_INVALID_ARGUMENT\]: -t\/--time must be a whole number/);
  }, 30_000);
});
