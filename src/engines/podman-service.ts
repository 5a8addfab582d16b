import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { GpupoolError } from "../core/errors.js";
import { LIBPOD_API_PREFIX } from "./podman.js";
import { UnixHttpClient } from "./http.js";

/** An OCI runtime a podman service can be started with, e.g. runsc with flags ["network=none"]. */
export interface RuntimeConfig {
  /** The name jobs use (ContainerSpec.runtime), e.g. "runsc" or "kata". */
  readonly name: string;
  /** Absolute path of the runtime binary. */
  readonly path: string;
  /** Global runtime flags without leading dashes, passed as `--runtime-flag`, e.g. ["network=none"]. */
  readonly flags?: readonly string[];
}

/** gVisor as ENVIRONMENT.md runs it under Podman: without network=none it refuses the root netns. */
export const RUNSC_RUNTIME: RuntimeConfig = {
  name: "runsc",
  path: "/usr/bin/runsc",
  flags: ["network=none"],
};

export interface PodmanServiceOptions {
  readonly binary?: string;
  readonly socketPath: string;
  /** Writes the service pid here; a service left behind by a killed gpupool is stopped on the next start. */
  readonly pidFile: string;
  readonly runtime?: RuntimeConfig;
  /** Extra global podman flags, e.g. ["--cgroup-manager", "cgroupfs"]. */
  readonly globalArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** Extra environment for the service, e.g. { CONTAINERS_CONF: "/path/containers.conf" }. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface PodmanService {
  readonly socketPath: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 10 s; removes the socket and pid file. */
  stop(): Promise<void>;
}

/**
 * Spawns and owns `podman system service --time=0 unix://<socket>` (the API service never exits
 * on its own), waits until it answers /_ping, and stops it on stop(). Ready in ~0.1 s here.
 */
export async function startPodmanService(opts: PodmanServiceOptions): Promise<PodmanService> {
  await stopLeftover(opts.pidFile);
  await rm(opts.socketPath, { force: true });
  const args = [...(opts.globalArgs ?? [])];
  if (opts.runtime) {
    args.push("--runtime", opts.runtime.path);
    for (const flag of opts.runtime.flags ?? []) args.push("--runtime-flag", flag);
  }
  args.push("system", "service", "--time=0", `unix://${opts.socketPath}`);
  const binary = opts.binary ?? "podman";
  let log = "";
  const child: ChildProcess = spawn(binary, args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  child.stderr?.on("data", (b: Buffer) => {
    log = (log + b.toString()).slice(-4000);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on("exit", (code) => {
      exitCode = code;
      resolve();
    });
    child.on("error", (err) => {
      log += String(err);
      exitCode = -1;
      resolve();
    });
  });
  const client = new UnixHttpClient(opts.socketPath, LIBPOD_API_PREFIX);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  try {
    for (;;) {
      if (exitCode !== undefined) {
        throw new GpupoolError(
          "GP_ENGINE_UNAVAILABLE",
          `${binary} ${args.join(" ")} exited (${exitCode}) before answering: ${log.trim()}`,
        );
      }
      try {
        const res = await client.send("GET", "/_ping", { headersTimeoutMs: 2000 });
        await res.body.dump();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new GpupoolError(
          "GP_ENGINE_UNAVAILABLE",
          `podman service on ${opts.socketPath} did not answer in time: ${log.trim()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    throw err;
  } finally {
    await client.close();
  }
  const pid = child.pid as number;
  await writeFile(opts.pidFile, `${pid}\n`);
  return {
    socketPath: opts.socketPath,
    pid,
    async stop() {
      if (exitCode === undefined) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(opts.pidFile, { force: true });
      await rm(opts.socketPath, { force: true });
    },
  };
}

/** Stops a podman service whose pid a previous (killed) gpupool left in pidFile, if it is still one. */
async function stopLeftover(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return; // gone
  }
  if (!cmdline.includes("podman") || !cmdline.includes("service")) return; // pid reused by something else
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}
