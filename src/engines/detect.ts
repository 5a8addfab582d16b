import { accessSync, constants, existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { GpupoolError } from "../core/errors.js";
import { DockerEngine } from "./docker.js";
import type { ContainerEngine } from "./engine.js";
import { UnixHttpClient } from "./http.js";
import { PodmanEngine, type PodmanRuntimeService } from "./podman.js";
import { type PodmanService, type RuntimeConfig, startPodmanService } from "./podman-service.js";

/** Sockets tried, in order, when neither CONTAINER_HOST nor DOCKER_HOST names one. */
export const WELL_KNOWN_SOCKETS = ["/run/podman/podman.sock", "/var/run/docker.sock"] as const;

export interface DetectOptions {
  /** gpupool's data directory; an owned podman service listens on <dataDir>/podman.sock. */
  readonly dataDir: string;
  /** Environment to read CONTAINER_HOST / DOCKER_HOST / PATH from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly sockets?: readonly string[];
  /** Path of the podman binary; default: looked up on PATH; null: never spawn a service. */
  readonly podmanBinary?: string | null;
  /**
   * Extra OCI runtimes (e.g. RUNSC_RUNTIME). With Podman each gets its own owned service
   * (<dataDir>/podman-<name>.sock) because Podman 4.3 ignores a per-container runtime over the
   * API; with Docker they must be registered in the daemon (daemon.json "runtimes").
   */
  readonly runtimes?: readonly RuntimeConfig[];
  /** Extra global flags for owned podman services, e.g. ["--cgroup-manager", "cgroupfs"]. */
  readonly podmanArgs?: readonly string[];
}

export interface DetectedEngine {
  readonly engine: ContainerEngine;
  readonly kind: "podman" | "docker";
  readonly socketPath: string;
  /** env: CONTAINER_HOST/DOCKER_HOST; socket: a well-known socket; spawned: a podman service gpupool owns. */
  readonly source: "env" | "socket" | "spawned";
  /** Runtimes that could not be set up, with why (the engine refuses them with GP_RUNTIME_UNAVAILABLE). */
  readonly runtimeProblems: Readonly<Record<string, string>>;
  /** Closes the engine and stops every service this detection spawned. */
  close(): Promise<void>;
}

/**
 * Finds the container engine: CONTAINER_HOST, then DOCKER_HOST — when either is set, one of them
 * must answer; else the well-known sockets, each used only if it answers. The kind (podman or
 * docker) is probed, not guessed from the name. With no socket but a podman binary, spawns and
 * owns `podman system service` on <dataDir>/podman.sock.
 * GP_ENGINE_UNAVAILABLE when nothing works, saying what was tried.
 */
export async function detectEngine(opts: DetectOptions): Promise<DetectedEngine> {
  const env = opts.env ?? process.env;
  const tried: string[] = [];
  const candidates: { path: string; source: "env" | "socket" }[] = [];
  for (const name of ["CONTAINER_HOST", "DOCKER_HOST"] as const) {
    const value = env[name];
    if (!value) continue;
    const path = unixSocketPath(value);
    if (!path)
      throw new GpupoolError("GP_ENGINE_UNAVAILABLE", `${name}=${value}: only unix:// sockets are supported`);
    candidates.push({ path, source: "env" });
  }
  if (candidates.length === 0)
    for (const path of opts.sockets ?? WELL_KNOWN_SOCKETS) candidates.push({ path, source: "socket" });

  const owned: PodmanService[] = [];
  const binary =
    opts.podmanBinary === null ? undefined : (opts.podmanBinary ?? findOnPath("podman", env.PATH));
  for (const { path, source } of candidates) {
    if (!existsSync(path)) {
      tried.push(`${path}: absent`);
      continue;
    }
    const kind = await probeKind(path);
    if (!kind) {
      tried.push(`${path}: not answering`);
      continue;
    }
    return finish(kind, path, source, opts, binary, owned);
  }
  // An engine named explicitly (CONTAINER_HOST/DOCKER_HOST) that does not answer is an error, not
  // a reason to quietly use another engine.
  if (candidates.some((c) => c.source === "env")) {
    throw new GpupoolError(
      "GP_ENGINE_UNAVAILABLE",
      `the engine named by the environment is not answering (${tried.join("; ")})`,
      {
        tried,
      },
    );
  }
  if (!binary) {
    throw new GpupoolError(
      "GP_ENGINE_UNAVAILABLE",
      `no container engine found (tried ${tried.join("; ") || "nothing"}; no podman binary on PATH)`,
      { tried },
    );
  }
  await mkdir(opts.dataDir, { recursive: true });
  const main = await startPodmanService({
    binary,
    socketPath: join(opts.dataDir, "podman.sock"),
    pidFile: join(opts.dataDir, "podman.pid"),
    globalArgs: opts.podmanArgs ?? [],
  });
  owned.push(main);
  return finish("podman", main.socketPath, "spawned", opts, binary, owned);
}

async function finish(
  kind: "podman" | "docker",
  socketPath: string,
  source: DetectedEngine["source"],
  opts: DetectOptions,
  binary: string | undefined,
  owned: PodmanService[],
): Promise<DetectedEngine> {
  const runtimeProblems: Record<string, string> = {};
  const runtimeServices: PodmanRuntimeService[] = [];
  try {
    if (kind === "podman") {
      for (const runtime of opts.runtimes ?? []) {
        if (!existsSync(runtime.path)) {
          runtimeProblems[runtime.name] = `${runtime.path} does not exist`;
          continue;
        }
        if (!binary) {
          runtimeProblems[runtime.name] = "needs the podman binary to start a service with that runtime";
          continue;
        }
        await mkdir(opts.dataDir, { recursive: true });
        const service = await startPodmanService({
          binary,
          socketPath: join(opts.dataDir, `podman-${runtime.name}.sock`),
          pidFile: join(opts.dataDir, `podman-${runtime.name}.pid`),
          runtime,
          globalArgs: opts.podmanArgs ?? [],
        });
        owned.push(service);
        runtimeServices.push({ name: runtime.name, socketPath: service.socketPath, path: runtime.path });
      }
    }
  } catch (err) {
    await Promise.all(owned.map((s) => s.stop()));
    throw err;
  }
  const engine: ContainerEngine =
    kind === "podman"
      ? new PodmanEngine({ socketPath, runtimes: runtimeServices })
      : new DockerEngine(socketPath);
  if (kind === "docker" && (opts.runtimes ?? []).length > 0) {
    const known = new Set((await engine.info()).runtimes);
    for (const runtime of opts.runtimes ?? []) {
      if (!known.has(runtime.name))
        runtimeProblems[runtime.name] =
          `dockerd has no runtime "${runtime.name}" (add it to daemon.json "runtimes")`;
    }
  }
  return {
    engine,
    kind,
    socketPath,
    source,
    runtimeProblems,
    async close() {
      await engine.close();
      await Promise.all(owned.map((s) => s.stop()));
    },
  };
}

/** "unix:///run/x.sock" or "/run/x.sock" → "/run/x.sock"; other schemes → undefined. */
export function unixSocketPath(value: string): string | undefined {
  if (value.startsWith("unix://")) return value.slice("unix://".length);
  if (value.startsWith("/")) return value;
  return undefined;
}

/** Whether the socket is Podman (answers the libpod ping) or Docker (only the Docker API ping); undefined if neither. */
export async function probeKind(socketPath: string): Promise<"podman" | "docker" | undefined> {
  const client = new UnixHttpClient(socketPath, "");
  try {
    const libpod = await client.send("GET", "/v4.0.0/libpod/_ping", { headersTimeoutMs: 3000 });
    await libpod.body.dump();
    if (libpod.status === 200) return "podman";
    const docker = await client.send("GET", "/_ping", { headersTimeoutMs: 3000 });
    await docker.body.dump();
    return docker.status === 200 ? "docker" : undefined;
  } catch {
    return undefined;
  } finally {
    await client.close();
  }
}

export function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}
