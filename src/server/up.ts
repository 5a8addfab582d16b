import type { EndpointOptions } from "./service-endpoints.js";
import type { GpuHealthOptions } from "../agent/gpu-health-monitor.js";
import { randomUUID } from "node:crypto";
import { accessSync, constants, mkdirSync, rmSync } from "node:fs";
import { cpus, homedir, hostname, totalmem } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { NodeAgent } from "../agent/node-agent.js";
import { nvidiaDriverEdits } from "../agent/driver-edits.js";
import { LogArchive } from "../agent/log-archive.js";
import type { RecoveryReport } from "../agent/recover.js";
import { GpupoolError, isGpupoolError } from "../core/errors.js";
import type { NodeSpec } from "../core/node.js";
import { detectEngine } from "../engines/detect.js";
import type { ContainerEngine } from "../engines/engine.js";
import { FakeEngine } from "../engines/fake.js";
import { configuredRuntimes, type IsolationRuntimes, isolationRuntimes } from "../engines/isolation.js";
import { findOnPath } from "../engines/detect.js";
import type { CdiContainerEdits } from "../node/cdi.js";
import { discoverGpus } from "../node/discover.js";
import { type GpuSharing, MPS_CONTROL_BINARY, resolveGpuSharing } from "../node/gpu-sharing.js";
import { DEFAULT_MPS_ROOT, MpsControl } from "../node/mps-control.js";
import type { GpuInventory } from "../node/gpu-info.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { nvidiaSmiRunner } from "../node/smi-runner.js";
import { smiSampler } from "../node/overuse.js";
import { acquireInstanceLock, hashToken, Store } from "../store/index.js";
import { buildApp } from "./app.js";
import type { HttpLimits } from "./http-limits.js";
import { ADMIN_TENANT } from "./auth.js";
import { listenError, prepareDataDir, probeListen } from "./startup-checks.js";

/** `gpupool up`: the standalone server — store, node agent, engine and HTTP API on one host. */

export interface UpOptions {
  /** Simulated GPUs, e.g. "2xA100-80GB" or "1xA100-80GB:mig" (MIG-enabled); absent: nvidia-smi, else DEFAULT_SIMULATE. */
  readonly simulate?: string;
  /** CPUs the scheduler sees on this node instead of this host's (`--simulate-cpus`); containers are not confined to them. */
  readonly simulateCpus?: number;
  readonly engine?: "auto" | "podman" | "docker" | "fake";
  /** Data directory (store, lock, owned podman sockets). */
  readonly data?: string;
  /** host:port; port 0 picks a free one. */
  readonly listen?: string;
  /** Where CDI specs for slices are written (Podman reads /etc/cdi and /var/run/cdi). */
  readonly cdiDir?: string;
  /** Admin token to install (GPUPOOL_ADMIN_TOKEN); else one is made on first start. */
  readonly adminToken?: string;
  readonly logger?: boolean | object;
  readonly out?: (line: string) => void;
  /** For tests: a ready engine instead of detection. */
  readonly engineInstance?: ContainerEngine;
  readonly resyncMs?: number;
  /** GPU memory of time-sliced shares: the action over budget and how often (agent/overuse-watch.ts). */
  readonly overuse?: { readonly action?: "warn" | "kill"; readonly intervalMs?: number };
  /** GPU health from a kernel log (agent/gpu-health-monitor.ts); absent: not watched. */
  readonly gpuHealth?: GpuHealthOptions;
  /** Services: the ports replicas are given, how often autoscalers tick, and the endpoints' options. */
  readonly services?: {
    readonly replicaPorts?: { readonly base: number; readonly span: number };
    readonly tickMs?: number;
    readonly endpoints?: EndpointOptions;
  };
  /** HTTP timeouts and connection cap (http-limits.ts); default DEFAULT_HTTP_LIMITS. */
  readonly httpLimits?: HttpLimits;
  /** Absolute path of the OCI runtime for `isolation: vm` (e.g. kata-runtime); absent: vm jobs are refused. */
  readonly vmRuntime?: string;
  /** How shares of one GPU are enforced (default "auto"; see resolveGpuSharing). */
  readonly gpuSharing?: GpuSharing;
  /** Root of the MPS daemons' pipe and log directories (default /run/gpupool/mps). */
  readonly mpsDir?: string;
}

/** The in-memory engine offers every configured runtime by name (it runs nothing either way). */
function fakeEngine(isolation: IsolationRuntimes): FakeEngine {
  return new FakeEngine({ runtimes: configuredRuntimes(isolation).map((r) => r.name) });
}

export const DEFAULT_SIMULATE = "2xA100-80GB";
export const DEFAULT_LISTEN = "127.0.0.1:7878";

export function defaultDataDir(env = process.env): string {
  return env.GPUPOOL_DATA ?? join(env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "gpupool");
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly store: Store;
  readonly agent: NodeAgent;
  readonly engine: ContainerEngine;
  readonly node: NodeSpec;
  readonly simulated: boolean;
  /** How GPU shares are enforced (resolveGpuSharing). */
  readonly gpuSharing: "mps" | "timeslice";
  /** The admin token when this start made it (first start), else undefined. */
  readonly newAdminToken: string | undefined;
  readonly recovery: RecoveryReport;
  /** Stops the API and the agent; job containers keep running and are re-adopted by the next start. */
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65_535)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--listen must be HOST:PORT like 127.0.0.1:7878, got "${listen}"`,
    );
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

async function inventory(simulate: string | undefined): Promise<GpuInventory> {
  if (simulate) return simulateGpus(simulate);
  if (findOnPath("nvidia-smi", process.env.PATH)) return discoverGpus(nvidiaSmiRunner({ timeoutMs: 15_000 }));
  return simulateGpus(DEFAULT_SIMULATE);
}

/** Makes sure the admin tenant exists and a token given by the operator (GPUPOOL_ADMIN_TOKEN) is installed. */
function ensureAdmin(store: Store, given: string | undefined): void {
  if (!store.tenants.get(ADMIN_TENANT)) store.tenants.create(ADMIN_TENANT);
  if (given !== undefined) {
    if (!/^\S{16,512}$/.test(given))
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        "GPUPOOL_ADMIN_TOKEN must be 16-512 characters without spaces",
      );
    if (store.tokens.authenticate(given)) return;
    // The token repository only mints tokens; one given by the operator is installed by its hash.
    store.db
      .prepare(
        "INSERT INTO api_tokens (id, tenant, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(
        randomUUID(),
        ADMIN_TENANT,
        "GPUPOOL_ADMIN_TOKEN",
        given.slice(0, 10),
        hashToken(given),
        Date.now(),
      );
  }
}

/** A new admin token when the admin has no valid one (the first start), else undefined. */
function firstAdminToken(store: Store): string | undefined {
  if (store.tokens.list(ADMIN_TENANT).some((t) => t.revokedAt === null)) return undefined;
  return store.tokens.create(ADMIN_TENANT, "first start").token;
}

export async function startServer(opts: UpOptions = {}): Promise<RunningServer> {
  const out = opts.out ?? (() => {});
  const data = opts.data ?? defaultDataDir();
  const { host, port } = parseListen(opts.listen ?? DEFAULT_LISTEN);
  const isolation = isolationRuntimes(opts.vmRuntime);
  // Checked before anything is created: a start that cannot work leaves nothing behind.
  await probeListen(host, port);
  const { created } = prepareDataDir(data);
  const cleanups: (() => Promise<void> | void)[] = created
    ? [() => rmSync(data, { recursive: true, force: true })]
    : [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const lock = acquireInstanceLock(data);
    cleanups.push(() => lock.release());
    const store = Store.openDir(data, { backgroundCheckpointMs: 50 });
    cleanups.push(() => store.closeAndWait());
    const instanceId = store.instanceId();
    ensureAdmin(store, opts.adminToken);
    if (!store.tenants.get("default")) store.tenants.create("default");

    const inv = await inventory(opts.simulate);
    const node = inventoryToNodeSpec(inv, {
      name: hostname(),
      cpuMilli: (opts.simulateCpus ?? cpus().length) * 1000,
      memoryMiB: Math.floor(totalmem() / 2 ** 20),
    });
    const sharing = resolveGpuSharing(opts.gpuSharing ?? "auto", {
      simulated: inv.simulated,
      gpuCount: node.gpus.length,
      mpsControl: findOnPath(MPS_CONTROL_BINARY, process.env.PATH),
    });
    const mpsRoot = opts.mpsDir ?? DEFAULT_MPS_ROOT;
    const mps = sharing.mode === "mps" ? new MpsControl({ root: mpsRoot }) : undefined;

    let engine: ContainerEngine;
    let engineKind: string;
    let engineSource = "given";
    if (opts.engineInstance) {
      engine = opts.engineInstance;
      engineKind = engine.kind;
    } else if (opts.engine === "fake") {
      engine = fakeEngine(isolation);
      engineKind = "fake";
      engineSource = "in-memory (no containers are run)";
    } else {
      let detected: Awaited<ReturnType<typeof detectEngine>> | undefined;
      try {
        detected = await detectEngine({ dataDir: data, runtimes: configuredRuntimes(isolation) });
      } catch (err) {
        // `auto` on a host with no engine at all still starts (like simulated GPUs), loudly labelled;
        // naming an engine that is not there stays an error.
        if (
          (opts.engine ?? "auto") !== "auto" ||
          !isGpupoolError(err) ||
          err.code !== "GP_ENGINE_UNAVAILABLE"
        )
          throw err;
        out(`no container engine found (${err.message.replace(/^no container engine found \(|\)$/g, "")})`);
      }
      if (!detected) {
        engine = fakeEngine(isolation);
        engineKind = "fake";
        engineSource =
          "SIMULATED: no Podman or Docker here, jobs run in gpupool's in-memory engine, not in containers; install podman for real ones";
      } else {
        cleanups.push(() => detected.close());
        if (opts.engine && opts.engine !== "auto" && detected.kind !== opts.engine)
          throw new GpupoolError(
            "GP_ENGINE_UNAVAILABLE",
            `--engine ${opts.engine}: found ${detected.kind} at ${detected.socketPath} instead`,
          );
        engine = detected.engine;
        engineKind = detected.kind;
        engineSource = `${detected.source} ${detected.socketPath}`;
        for (const [name, why] of Object.entries(detected.runtimeProblems))
          out(`runtime ${name} unavailable: ${why}`);
      }
    }
    const info = await engine.info();
    const runtimes = info.runtimes;
    let common: CdiContainerEdits | undefined;
    if (info.cdi && engineKind !== "fake" && !inv.simulated && node.gpus.length > 0) {
      const driver = await nvidiaDriverEdits();
      if (driver.problem) out(`warning: ${driver.problem}`);
      common = driver.edits;
    }
    if (info.cdi && engineKind !== "fake") {
      const dir = opts.cdiDir ?? "/var/run/cdi";
      try {
        mkdirSync(dir, { recursive: true });
        accessSync(dir, constants.W_OK);
      } catch (err) {
        out(
          `warning: cannot write CDI specs to ${dir} (${(err as Error).message}): GPU jobs will fail to start; run as root or pass --cdi-dir`,
        );
      }
    }
    const cdi =
      info.cdi && engineKind !== "fake"
        ? {
            kind: `gpupool.dev/slice-${instanceId}`,
            dir: opts.cdiDir ?? "/var/run/cdi",
            ...(common ? { common } : {}),
          }
        : undefined;

    const agent = new NodeAgent({
      store,
      engine,
      node,
      instanceId,
      ...(cdi ? { cdi } : {}),
      isolation,
      logs: new LogArchive(join(data, "logs")),
      runtimes,
      ...(opts.resyncMs ? { resyncMs: opts.resyncMs } : {}),
      ...(mps ? { mps } : {}),
      ...(opts.services?.replicaPorts ? { replicaPorts: opts.services.replicaPorts } : {}),
      ...(opts.gpuHealth ? { gpuHealth: opts.gpuHealth } : {}),
      overuse: {
        ...opts.overuse,
        // Real GPUs: what nvidia-smi's compute apps use, mapped to containers through /proc.
        ...(!inv.simulated && findOnPath("nvidia-smi", process.env.PATH)
          ? { sampleReal: smiSampler(nvidiaSmiRunner({ timeoutMs: 15_000 })) }
          : {}),
      },
      ...(opts.services?.tickMs !== undefined ? { serviceTickMs: opts.services.tickMs } : {}),
    });
    const recovery = await agent.recover();
    agent.start();
    cleanups.push(() => agent.close({ removeCdi: true }));

    const simulated = inv.simulated;
    const app = await buildApp({
      store,
      agent,
      engine,
      node,
      logger: opts.logger ?? false,
      ...(opts.httpLimits ? { httpLimits: opts.httpLimits } : {}),
      ...(opts.services?.endpoints ? { endpoints: opts.services.endpoints } : {}),
      info: {
        node: node.name,
        engine: engineKind,
        engineVersion: info.version,
        runtimes: [...info.runtimes],
        simulated,
        gpus: node.gpus.map((g) => g.model),
        gpuSharing: sharing.mode,
      },
    });
    // The agent closes first: requests waiting for a graceful stop are then answered at once (the
    // next start finishes the stop), so the server's close does not wait out a grace period.
    const closeAgent = cleanups.pop();
    cleanups.push(
      () => app.close(),
      async () => {
        await closeAgent?.();
      },
    );
    const address = await app.listen({ host, port }).catch((err: unknown) => {
      throw listenError(err, host, port);
    });
    const url = address.replace("[::1]", "127.0.0.1");
    // Minted only once the server listens, so a start that fails never eats the one-time token.
    const newAdminToken = firstAdminToken(store);
    // From here on the data directory holds a working store: a later failure must not remove it.
    if (created) cleanups.shift();

    out(`gpupool listening on ${url} (OpenAPI: ${url}/openapi.json)`);
    out(`data: ${data}`);
    out(`engine: ${engineKind} ${info.version} (${engineSource}); runtimes: ${info.runtimes.join(", ")}`);
    out(
      simulated
        ? `GPUs: ${node.gpus.length} SIMULATED (${inv.source.replace(/^simulate:/, "")}): no real GPU; containers get stand-in /dev/nvidiaN nodes`
        : `GPUs: ${node.gpus.map((g) => `${g.index}:${g.model}`).join(", ") || "none"}`,
    );
    const migGpus = node.gpus.filter((g) => g.migEnabled);
    if (migGpus.length > 0)
      out(
        `MIG: GPU ${migGpus.map((g) => g.index).join(", ")} MIG-enabled: handed out only as MIG instances (run --mig PROFILE; profiles: gpupool gpus --catalog)`,
      );
    if (opts.simulateCpus !== undefined)
      out(
        `CPUs: ${opts.simulateCpus} SIMULATED for the scheduler (--simulate-cpus; this host has ${cpus().length})`,
      );
    out(
      mps
        ? `GPU shares: MPS (hard compute % and memory limits) — ${sharing.why}; one MPS control daemon per shared GPU, pipes under ${mpsRoot}`
        : `GPU shares: time-sliced (memory advisory) — ${sharing.why}`,
    );
    if (opts.gpuHealth)
      out(
        `GPU health: watching ${opts.gpuHealth.log} for NVIDIA XIDs every ${(opts.gpuHealth.intervalMs ?? 5000) / 1000} s (a fatal one: the GPU takes no new work for ${(opts.gpuHealth.recoverMs ?? 300_000) / 1000} s)`,
      );
    if (
      recovery.adopted.length +
        recovery.requeued.length +
        recovery.finished.length +
        recovery.removedContainers.length >
      0
    )
      out(
        `recovered: ${recovery.adopted.length} adopted, ${recovery.finished.length} finished, ${recovery.requeued.length} requeued, ${recovery.removedContainers.length} orphan containers removed`,
      );
    if (newAdminToken) {
      out(`admin token (shown once, stored hashed): ${newAdminToken}`);
      out(`  export GPUPOOL_SERVER=${url} GPUPOOL_TOKEN=${newAdminToken}`);
    }
    return {
      app,
      url,
      store,
      agent,
      engine,
      node,
      simulated,
      gpuSharing: sharing.mode,
      newAdminToken,
      recovery,
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
