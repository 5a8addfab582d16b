import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const TOKEN = "gp_no-engine-test-token-0123456789";
const SOCKETS = ["/run/podman/podman.sock", "/var/run/docker.sock"];

/**
 * A host with neither Podman nor Docker: `gpupool up` (engine auto) still starts, on its in-memory
 * engine, and says so; naming an engine that is not there is an error. PATH holds only node.
 */
describe.skipIf(SOCKETS.some(existsSync))("gpupool up on a host without a container engine", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function up(
    args: string[],
  ): Promise<{ out: () => string; exited: Promise<number | null>; kill: () => void }> {
    const dir = await mkdtemp(join(tmpdir(), "gp-noengine-"));
    dirs.push(dir);
    await symlink(process.execPath, join(dir, "node"));
    const child = spawn(
      process.execPath,
      [join(ROOT, "bin/gpupool"), "up", "--data", join(dir, "data"), "--listen", "127.0.0.1:0", ...args],
      {
        env: { PATH: dir, HOME: dir, GPUPOOL_ADMIN_TOKEN: TOKEN },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    return { out: () => out, exited, kill: () => child.kill("SIGTERM") };
  }

  it("starts on its in-memory engine, labelled SIMULATED, and runs a job", async () => {
    const s = await up([]);
    try {
      const deadline = Date.now() + 20_000;
      while (!/admin token|GPUs:/.test(s.out()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const out = s.out();
      expect(out).toMatch(/no container engine found/);
      expect(out).toMatch(/engine: fake .*SIMULATED: no Podman or Docker here/);
      const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
      const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
      const res = await fetch(`${url}/v1/jobs`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          name: "hello",
          image: "localhost/busybox:latest",
          command: ["sh", "-c", "echo hi"],
        }),
      });
      expect(res.status).toBe(201);
      const id = ((await res.json()) as { jobs: { id: string }[] }).jobs[0]!.id;
      let state = "";
      for (const end = Date.now() + 15_000; Date.now() < end && state !== "Succeeded"; ) {
        state = (
          (await (await fetch(`${url}/v1/jobs/${id}`, { headers })).json()) as { job: { state: string } }
        ).job.state;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(state).toBe("Succeeded");
    } finally {
      s.kill();
      await s.exited;
    }
  }, 60_000);

  it("refuses a named engine that is not there", async () => {
    const s = await up(["--engine", "podman"]);
    const code = await s.exited;
    expect(code).not.toBe(0);
    expect(s.out()).toMatch(/GP_ENGINE_UNAVAILABLE/);
  }, 60_000);
});
