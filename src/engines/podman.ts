import { GpupoolError } from "../core/errors.js";
import { ApiEngine } from "./api-engine.js";
import { importChanges } from "./docker.js";
import type { ContainerSpec, EngineInfo, ImportOptions } from "./engine.js";
import { type Query, UnixHttpClient, engineError } from "./http.js";
import { type Rlimit, hostRlimits, podmanCreateBody } from "./podman-body.js";

export const LIBPOD_API_PREFIX = "/v4.0.0/libpod";

/** A podman service started with another OCI runtime (`podman --runtime P --runtime-flag F system service`). */
export interface PodmanRuntimeService {
  /** The name jobs use (ContainerSpec.runtime), e.g. "runsc". */
  readonly name: string;
  readonly socketPath: string;
  /** The runtime binary, as Podman records it on the container (OCIRuntime), e.g. "/usr/bin/runsc". */
  readonly path: string;
}

export interface PodmanEngineOptions {
  /** The libpod API socket of the service using the default runtime (runc). */
  readonly socketPath: string;
  /**
   * Services for other runtimes. Podman 4.3 ignores a per-container runtime over the API
   * (podman#28429), so create and start go to that runtime's service (start needs the runtime's
   * global flags, e.g. runsc's network=none); stop, wait, logs and remove work through the
   * default one (a container remembers its runtime). All must share the same storage.
   */
  readonly runtimes?: readonly PodmanRuntimeService[];
  /** rlimits for every container (default: this process's hard nofile/nproc, see hostRlimits). */
  readonly rlimits?: readonly Rlimit[];
  /**
   * How often the service checks a waited-for container, in milliseconds. libpod's wait polls
   * (default 250 ms, which alone made a short container 2× slower than `podman run`); default 25.
   */
  readonly waitPollMs?: number;
}

/** Podman's native libpod API over a unix socket: CDI devices, CPU/memory limits, runtimes per service. */
export class PodmanEngine extends ApiEngine {
  readonly kind = "podman" as const;
  readonly socketPath: string;
  private readonly runtimeClients: Map<string, UnixHttpClient>;
  private readonly runtimePaths: Map<string, string>;
  private readonly rlimits: readonly Rlimit[];
  private readonly waitPollMs: number;
  /** Which runtime service created a container (by id), so start goes to the same one. */
  private readonly createdBy = new Map<string, UnixHttpClient>();

  constructor(opts: PodmanEngineOptions) {
    super(new UnixHttpClient(opts.socketPath, LIBPOD_API_PREFIX));
    this.socketPath = opts.socketPath;
    const runtimes = opts.runtimes ?? [];
    this.runtimeClients = new Map(
      runtimes.map((r) => [r.name, new UnixHttpClient(r.socketPath, LIBPOD_API_PREFIX)]),
    );
    this.runtimePaths = new Map(runtimes.map((r) => [r.path, r.name]));
    this.rlimits = opts.rlimits ?? hostRlimits();
    this.waitPollMs = opts.waitPollMs ?? 25;
  }

  async info(): Promise<EngineInfo> {
    const info = await this.http.json<{
      host?: { cgroupVersion?: string; ociRuntime?: { name?: string } };
      version?: { Version?: string; APIVersion?: string };
    }>("GET", "/info");
    const defaultRuntime = info.host?.ociRuntime?.name ?? "runc";
    const cgroup = info.host?.cgroupVersion?.replace(/^v/, "");
    return {
      kind: "podman",
      version: info.version?.Version ?? "unknown",
      apiVersion: "4.0.0",
      runtimes: [...new Set([defaultRuntime, ...this.runtimeClients.keys()])].sort(),
      cdi: true,
      ...(cgroup ? { cgroupVersion: cgroup } : {}),
    };
  }

  async create(spec: ContainerSpec): Promise<string> {
    const client = this.clientFor(spec.runtime);
    const body = podmanCreateBody(spec, this.rlimits);
    const res = await client.send("POST", "/containers/create", { body });
    if (res.status !== 201) throw await this.createError(res, spec);
    const doc = (await res.body.json()) as { Id: string };
    if (client !== this.http) this.createdBy.set(doc.Id, client);
    return doc.Id;
  }

  override async start(id: string): Promise<void> {
    const client = this.createdBy.get(id) ?? (await this.runtimeClientOf(id));
    const res = await client.send("POST", `/containers/${encodeURIComponent(id)}/start`);
    await this.expectNoContent(res, id, "start", [204, 304]);
  }

  override async remove(id: string): Promise<void> {
    // timeout=0: kill at once (the default would wait the container's stop timeout first).
    const res = await this.http.send("DELETE", `/containers/${encodeURIComponent(id)}`, {
      query: { force: true, v: true, timeout: 0 },
      headersTimeoutMs: 0,
    });
    if (res.status === 404) {
      await res.body.dump();
      return;
    }
    await this.expectNoContent(res, id, "remove", [200, 204]);
    this.createdBy.delete(id);
  }

  /** The service for the runtime Podman recorded on the container (after a restart the map is empty). */
  private async runtimeClientOf(id: string): Promise<UnixHttpClient> {
    if (this.runtimeClients.size === 0) return this.http;
    const res = await this.http.send("GET", `/containers/${encodeURIComponent(id)}/json`);
    if (res.status !== 200) {
      await res.body.dump();
      return this.http; // start reports the error
    }
    const runtime = ((await res.body.json()) as { OCIRuntime?: string }).OCIRuntime ?? "";
    const name = this.runtimePaths.get(runtime) ?? runtime;
    return this.runtimeClients.get(name) ?? this.http;
  }

  async wait(id: string, opts: { readonly signal?: AbortSignal } = {}): Promise<number> {
    const path = `/containers/${encodeURIComponent(id)}/wait`;
    // Default conditions: stopped or exited. The answer is the bare exit code.
    const res = await this.http.send("POST", path, {
      query: { interval: `${this.waitPollMs}ms` },
      signal: opts.signal,
      headersTimeoutMs: 0,
    });
    if (res.status !== 200) await this.expectNoContent(res, id, "wait for", []);
    const code = Number((await res.body.text()).trim());
    if (!Number.isInteger(code))
      throw new GpupoolError("GP_ENGINE_ERROR", `podman wait for ${id} answered no exit code`);
    return code;
  }

  protected stopQuery(graceSeconds: number): Query {
    return { timeout: graceSeconds };
  }

  protected async pull(ref: string): Promise<void> {
    const res = await this.http.send("POST", "/images/pull", {
      query: { reference: ref, quiet: true },
      headersTimeoutMs: 0,
    });
    await this.consumeProgress(res, `pull ${ref}`);
  }

  async importImage(ref: string, tar: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<void> {
    const res = await this.http.send("POST", "/images/import", {
      query: { reference: ref, changes: importChanges(opts) },
      body: tar,
      headersTimeoutMs: 0,
    });
    if (res.status !== 200) throw await engineError(res, "POST", "/images/import");
    await res.body.dump();
  }

  override async close(): Promise<void> {
    await Promise.all([super.close(), ...[...this.runtimeClients.values()].map((c) => c.close())]);
  }

  private clientFor(runtime: string | undefined): UnixHttpClient {
    if (runtime === undefined || runtime === "" || runtime === "runc" || runtime === "default")
      return this.http;
    const client = this.runtimeClients.get(runtime);
    if (!client) {
      throw new GpupoolError(
        "GP_RUNTIME_UNAVAILABLE",
        `podman has no service for OCI runtime ${runtime} (configured: ${[...this.runtimeClients.keys()].join(", ") || "none"})`,
        { runtime },
      );
    }
    return client;
  }
}
