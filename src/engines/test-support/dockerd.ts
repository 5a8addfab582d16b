import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findOnPath } from "../detect.js";
import { DockerEngine } from "../docker.js";
import { ensureBusyboxImage } from "./busybox-image.js";

export interface PrivateDockerd {
  readonly socketPath: string;
  readonly dir: string;
  /** Runtimes registered besides runc, e.g. ["runsc"] when gVisor is installed. */
  readonly runtimes: readonly string[];
  stop(): Promise<void>;
}

/** dockerd's path: on PATH, else where Debian's docker.io puts it (/usr/sbin, often not on a user's PATH). */
export function dockerdBinary(): string | undefined {
  return (
    findOnPath("dockerd", process.env.PATH) ??
    ["/usr/sbin/dockerd", "/usr/bin/dockerd"].find((p) => existsSync(p))
  );
}
export const RUNSC_BINARY = "/usr/bin/runsc";

/**
 * Starts a private dockerd for tests with the flags ENVIRONMENT.md found to work here: its own
 * data-root, exec-root, socket and pidfile under a fresh /tmp dir (short: unix socket paths are
 * limited to 108 bytes), no iptables, no bridge, overlay2. runsc is registered with
 * --network=none (gVisor refuses to share the root network namespace otherwise).
 * stop() sends SIGTERM, waits for exit (SIGKILL after 15 s) and deletes the dir.
 */
export async function startDockerd(opts: { readyTimeoutMs?: number } = {}): Promise<PrivateDockerd> {
  const dir = await mkdtemp("/tmp/gpd-");
  const socketPath = join(dir, "d.sock");
  const runtimes: Record<string, unknown> = {};
  if (existsSync(RUNSC_BINARY)) runtimes.runsc = { path: RUNSC_BINARY, runtimeArgs: ["--network=none"] };
  await writeFile(join(dir, "daemon.json"), JSON.stringify({ runtimes }));
  const args = [
    "--config-file",
    join(dir, "daemon.json"),
    "--data-root",
    join(dir, "data"),
    "--exec-root",
    join(dir, "exec"),
    "-H",
    `unix://${socketPath}`,
    "--pidfile",
    join(dir, "d.pid"),
    "--iptables=false",
    "--ip6tables=false",
    "--bridge=none",
    "--storage-driver=overlay2",
  ];
  let log = "";
  const binary = dockerdBinary();
  if (!binary) throw new Error("dockerd is not installed (run .ci/setup-docker.sh)");
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const append = (b: Buffer) => {
    log = (log + b.toString()).slice(-8000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let dead = false;
  void exited.then(() => {
    dead = true;
  });

  const engine = new DockerEngine(socketPath);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (dead) throw new Error(`dockerd exited during startup:\n${log}`);
      try {
        await engine.ping();
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(
            `dockerd did not answer on ${socketPath} in time: ${(err as Error).message}\n${log}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw err;
  } finally {
    await engine.close();
  }

  return {
    socketPath,
    dir,
    runtimes: Object.keys(runtimes),
    async stop() {
      if (!dead) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/**
 * A private dockerd started on first use, with busybox imported, as the real-dockerd suites of
 * `gpupool up` want it: the engine name and environment to start gpupool with, and a stop for afterAll.
 */
export function sharedPrivateDockerd(): {
  engine: () => Promise<{ name: string; env: Record<string, string> }>;
  stop: () => Promise<void>;
} {
  let dockerd: PrivateDockerd | undefined;
  return {
    async engine() {
      dockerd ??= await startDockerd();
      const engine = new DockerEngine(dockerd.socketPath);
      await ensureBusyboxImage(engine);
      await engine.close();
      return { name: "docker", env: { DOCKER_HOST: `unix://${dockerd.socketPath}` } };
    },
    async stop() {
      await dockerd?.stop();
    },
  };
}
