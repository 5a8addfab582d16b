import { existsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gpupool, upProcess } from "./test-support/gpupool-bin.js";

/**
 * `gpupool up` that cannot start says so in one coded line, exits non-zero and creates nothing; the
 * one-time admin token is made only once a start succeeds (real bin/gpupool).
 */

let root: string;
let busy: Server;
let busyPort: number;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gp-startup-"));
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  const addr = busy.address();
  busyPort = typeof addr === "object" && addr ? addr.port : 0;
});
afterAll(async () => {
  busy?.close();
  await rm(root, { recursive: true, force: true });
});

/** No GPUPOOL_ADMIN_TOKEN: the server must make (and print) its own. */
const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete e.GPUPOOL_ADMIN_TOKEN;
  delete e.GPUPOOL_TOKEN;
  return e;
};

function oneCodedLine(err: string, code: string): void {
  const lines = err.trim().split("\n");
  expect(lines[0]).toMatch(new RegExp(`^gpupool: error\\[${code}\\]: `));
  expect(lines.slice(1).every((l) => l.startsWith("  hint: "))).toBe(true);
  expect(err).not.toMatch(/\n\s+at /); // no stack trace
}

describe("gpupool up start-up failures", () => {
  it("a busy port: GP_LISTEN_FAILED, exit 4, no data dir made; the next up still prints a working admin token", async () => {
    const data = join(root, "busy-port");
    const r = await gpupool(
      ["up", "--engine", "fake", "--listen", `127.0.0.1:${busyPort}`, "--data", data],
      env(),
    );
    expect(r.code, r.err).toBe(4);
    oneCodedLine(r.err, "GP_LISTEN_FAILED");
    expect(r.err).toMatch(new RegExp(`127\\.0\\.0\\.1:${busyPort}: the address is already in use`));
    expect(existsSync(data)).toBe(false);

    const up = await upProcess(["--engine", "fake", "--listen", "127.0.0.1:0", "--data", data], env());
    try {
      // Printed a few lines after "listening", maybe in a later chunk of the pipe: wait for it.
      const tokenLine = /admin token \(shown once, stored hashed\): (\S+)/;
      for (const until = Date.now() + 10_000; !tokenLine.test(up.output()) && Date.now() < until; )
        await new Promise((r) => setTimeout(r, 50));
      const token = tokenLine.exec(up.output())?.[1];
      expect(token, up.output()).toBeDefined();
      const ps = await gpupool(["ps"], { ...env(), GPUPOOL_SERVER: up.url, GPUPOOL_TOKEN: token });
      expect(ps.code, ps.err).toBe(0);
    } finally {
      await up.stop();
    }
  }, 60_000);

  it("a data dir that cannot be created: GP_DATA_DIR_UNUSABLE naming it, exit 4", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    const data = join(file, "data");
    const r = await gpupool(["up", "--engine", "fake", "--listen", "127.0.0.1:0", "--data", data], env());
    expect(r.code, r.err).toBe(4);
    oneCodedLine(r.err, "GP_DATA_DIR_UNUSABLE");
    expect(r.err).toContain(`cannot use ${data} as gpupool's data directory`);
  });

  it("a second server on the same data dir: GP_STORE_BUSY, exit 4; the first keeps running", async () => {
    const data = join(root, "shared");
    const first = await upProcess(["--engine", "fake", "--listen", "127.0.0.1:0", "--data", data], env());
    try {
      const r = await gpupool(["up", "--engine", "fake", "--listen", "127.0.0.1:0", "--data", data], env());
      expect(r.code, r.err).toBe(4);
      oneCodedLine(r.err, "GP_STORE_BUSY");
      const token = /admin token \(shown once, stored hashed\): (\S+)/.exec(first.output())?.[1];
      const ps = await gpupool(["ps"], { ...env(), GPUPOOL_SERVER: first.url, GPUPOOL_TOKEN: token });
      expect(ps.code, ps.err).toBe(0);
    } finally {
      await first.stop();
    }
  }, 60_000);

  it("SIGTERM stops up at once, also with an in-memory job still sleeping", async () => {
    const data = join(root, "sigterm");
    const token = "gp_startup-test-admin-token-0123";
    const up = await upProcess(["--engine", "fake", "--listen", "127.0.0.1:0", "--data", data], {
      ...env(),
      GPUPOOL_ADMIN_TOKEN: token,
    });
    const run = await gpupool(["run", "localhost/busybox:latest", "--", "sleep", "600"], {
      ...env(),
      GPUPOOL_SERVER: up.url,
      GPUPOOL_TOKEN: token,
    });
    expect(run.code, run.err).toBe(0);
    const t0 = Date.now();
    await up.stop(); // SIGTERM, then SIGKILL only after 10 s
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(up.output()).toContain("SIGTERM, stopping");
  }, 30_000);

  it("SIGTERM during a graceful stop does not wait out its grace; the next start finishes the stop", async () => {
    const data = join(root, "sigterm-mid-stop");
    const token = "gp_startup-test-admin-token-0123";
    const args = ["--engine", "fake", "--listen", "127.0.0.1:0", "--data", data];
    const first = await upProcess(args, { ...env(), GPUPOOL_ADMIN_TOKEN: token });
    const cli = (up: { url: string }, ...a: string[]) =>
      gpupool(a, { ...env(), GPUPOOL_SERVER: up.url, GPUPOOL_TOKEN: token });
    const id = (
      await cli(first, "run", "-d", "--name", "stubborn", "localhost/busybox:latest", "--", "sleep", "600")
    ).out.trim();
    for (let i = 0; i < 100; i++) {
      const got = JSON.parse((await cli(first, "get", id, "-o", "json")).out) as { job: { state: string } };
      if (got.job.state === "Running") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // the job ignores SIGTERM: this stop takes its whole 4 s grace
    let inFlight: () => void = () => {};
    const sent = new Promise<void>((r) => {
      inFlight = r;
    });
    const stopping = gpupool(
      ["stop", "-t", "4", id],
      { ...env(), GPUPOOL_SERVER: first.url, GPUPOOL_TOKEN: token },
      {
        onErr: (err) => {
          if (err.includes(`stopping ${id}`)) inFlight();
        },
      },
    );
    await sent; // the CLI has resolved the job and is sending the stop
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await first.stop();
    expect(Date.now() - t0).toBeLessThan(2500);
    await stopping;
    const second = await upProcess(args, { ...env(), GPUPOOL_ADMIN_TOKEN: token });
    try {
      let state = "";
      for (let i = 0; i < 200 && state !== "Cancelled"; i++) {
        state = (JSON.parse((await cli(second, "get", id, "-o", "json")).out) as { job: { state: string } })
          .job.state;
        if (state !== "Cancelled") await new Promise((r) => setTimeout(r, 100));
      }
      expect(state).toBe("Cancelled");
    } finally {
      await second.stop();
    }
  }, 60_000);
});
