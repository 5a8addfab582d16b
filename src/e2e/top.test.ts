import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CliServer, cliServer, gpupool } from "./test-support/gpupool-bin.js";

/**
 * Issue 11, acceptance 6: `gpupool top` in a real terminal (tmux): it shows the GPUs and a running
 * job, refreshes as jobs come, and quits on `q`, giving the terminal back.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const tmuxFound = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0;
const why = tmuxFound ? undefined : "tmux is not installed (apt-get install tmux)";
if (why && process.env.CI) throw new Error(`the gpupool top test needs tmux in CI: ${why}`);
if (why) console.warn(`skipping the gpupool top test: ${why}`);

const SOCKET = `gp-top-${process.pid}`;
const tmux = (...args: string[]) => spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });

describe.skipIf(why !== undefined)("gpupool top under tmux", () => {
  let server: CliServer | undefined;
  afterAll(async () => {
    tmux("kill-server");
    await server?.close();
  }, 30_000);

  const screen = () => tmux("capture-pane", "-p", "-t", "top").stdout;
  const until = async (what: string, ok: (s: string) => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = screen();
      if (ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`${what} not on the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const run = (name: string) =>
    gpupool(
      ["run", "-d", "--name", name, "--gpu", "0.25", "localhost/busybox:latest", "--", "sleep", "600"],
      server!.env,
    );

  it("shows the GPUs and a running job, refreshes, and quits on q", async () => {
    server = await cliServer(["--simulate", "2xA100-80GB"]);
    expect((await run("render")).code).toBe(0);
    const bin = join(ROOT, "bin/gpupool");
    const r = tmux(
      "new-session",
      "-d",
      "-s",
      "top",
      "-x",
      "150",
      "-y",
      "40",
      `env GPUPOOL_SERVER=${server.url} GPUPOOL_TOKEN=${server.env.GPUPOOL_TOKEN} ${process.execPath} ${bin} top --interval 300`,
    );
    expect(r.status, r.stderr).toBe(0);
    const first = await until(
      "the GPUs and the job",
      (s) => /gpupool top — /.test(s) && s.includes("render"),
    );
    expect(first).toMatch(/2 SIMULATED GPU\(s\); 1 running, 0 pending/);
    expect(first).toMatch(/\n0 +A100-80GB \(simulated\)/);
    expect(first).toMatch(/\n1 +A100-80GB \(simulated\)/);
    expect(first).toMatch(/BUSIEST RUNNING JOBS/);
    // A job that starts later shows up without a key pressed: the view refreshes.
    expect((await run("second")).code).toBe(0);
    const second = await until("the second job", (s) => s.includes("second") && /2 running/.test(s));
    expect(second).toContain("render");
    tmux("send-keys", "-t", "top", "q");
    const deadline = Date.now() + 5000;
    while (tmux("has-session", "-t", "top").status === 0) {
      if (Date.now() > deadline) throw new Error(`top did not quit on q:\n${screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);
});
