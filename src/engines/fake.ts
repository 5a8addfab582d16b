import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { posix } from "node:path";
import { GpupoolError } from "../core/errors.js";
import { containerNotFound, normaliseStatus, parseEnv } from "./api-engine.js";
import {
  type ContainerEngine,
  type ContainerSpec,
  type ContainerState,
  type ContainerStatus,
  type ContainerSummary,
  type EngineInfo,
  type ImageInfo,
  type ImportOptions,
  type LabelFilter,
  type LogLine,
  type LogOptions,
  cpuQuotaUs,
  CPU_PERIOD_US,
  mibToBytes,
} from "./engine.js";
import { FakeShell } from "./fake-shell.js";

/** Time for the fake: real by default; tests of higher layers may pass a manual clock. */
export interface FakeClock {
  now(): number;
  /** Resolves after ms, or early (without error) when signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: FakeClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      // Unref'd: an in-memory container's sleep must not keep a stopped gpupool up alive.
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

export interface FakeImage {
  readonly env?: Readonly<Record<string, string>>;
  readonly cmd?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/** What a CDI device injects into a fake container (a subset of a CDI spec's containerEdits). */
export interface FakeCdiDevice {
  readonly env?: Readonly<Record<string, string>>;
  /** Device node paths that appear inside the container. */
  readonly deviceNodes?: readonly string[];
}

export interface FakeEngineOptions {
  readonly clock?: FakeClock;
  /** Local images by reference; default: localhost/busybox:latest (PATH=/bin, CMD /bin/sh). */
  readonly images?: Readonly<Record<string, FakeImage>>;
  /** "cdi" behaves like Podman (GPUs as CDI names), "deviceRequests" like Docker (GPU UUIDs). Default "cdi". */
  readonly gpuMode?: "cdi" | "deviceRequests";
  /** CDI devices the fake knows, by fully qualified name. */
  readonly cdiDevices?: Readonly<Record<string, FakeCdiDevice>>;
  /** OCI runtimes besides runc; "runsc" reports a gVisor kernel. Default ["runsc"]. */
  readonly runtimes?: readonly string[];
}

export const BUSYBOX_IMAGE = "localhost/busybox:latest";

/** Calls of the fake that can be made to fail once (failNext). */
export type FaultOp = "ping" | "create" | "start" | "wait" | "stop" | "remove" | "list" | "inspect";

/** The engine side of the fake: what every client (reconnect) shares. */
interface FakeHost {
  readonly images: Map<string, FakeImage & { id: string }>;
  readonly containers: Map<string, FakeContainer>;
  seq: number;
  readonly faults: Map<FaultOp, Error>;
}

interface FakeContainer {
  readonly id: string;
  readonly spec: ContainerSpec;
  readonly env: Record<string, string>;
  readonly command: readonly string[];
  status: ContainerStatus;
  exitCode: number | null;
  startedAt?: Date;
  finishedAt?: Date;
  shell?: FakeShell;
  readonly log: LogLine[];
  /** Partial (unterminated) output per stream. */
  readonly partial: { stdout: string; stderr: string };
  /** Woken on new log output and on exit. */
  waiters: (() => void)[];
  exited: Promise<number>;
  markExited: (code: number) => void;
}

/**
 * An in-memory ContainerEngine for fast, deterministic tests of the layers above: ids are
 * "fake-000001", "fake-000002", …; containers run FakeShell (busybox sh's common subset) against
 * a virtual /sys and /proc made from their spec, with a pluggable clock. Passes conformance.case.test.ts.
 */
export class FakeEngine implements ContainerEngine {
  readonly kind = "fake" as const;
  private readonly clock: FakeClock;
  private readonly host: FakeHost;
  private readonly gpuMode: "cdi" | "deviceRequests";
  private readonly cdiDevices: Readonly<Record<string, FakeCdiDevice>>;
  private readonly runtimes: readonly string[];
  private closed = false;

  /** `host` is shared by clients made with reconnect(); a new engine gets its own. */
  constructor(
    private readonly opts: FakeEngineOptions = {},
    host?: FakeHost,
  ) {
    this.clock = opts.clock ?? realClock;
    this.gpuMode = opts.gpuMode ?? "cdi";
    this.cdiDevices = opts.cdiDevices ?? {};
    this.runtimes = opts.runtimes ?? ["runsc"];
    if (host) {
      this.host = host;
      return;
    }
    this.host = { images: new Map(), containers: new Map(), seq: 0, faults: new Map() };
    const images = opts.images ?? { [BUSYBOX_IMAGE]: { env: { PATH: "/bin" }, cmd: ["/bin/sh"] } };
    for (const [ref, image] of Object.entries(images)) this.addImage(ref, image);
  }

  /**
   * A new client of the same (fake) engine, as after a gpupool restart: it sees every container
   * and image; this client may be closed or dropped.
   */
  reconnect(): FakeEngine {
    return new FakeEngine(this.opts, this.host);
  }

  /** Makes the next call of `op` (on any client of this engine) fail with `error` (default GP_ENGINE_UNAVAILABLE). */
  failNext(op: FaultOp, error?: Error): void {
    this.host.faults.set(
      op,
      error ?? new GpupoolError("GP_ENGINE_UNAVAILABLE", `fake: injected failure of ${op}`),
    );
  }

  /** Makes an image local (what a pull or import would do). */
  addImage(ref: string, image: FakeImage = {}): void {
    this.host.images.set(ref, { ...image, id: `sha256:fake-image-${this.host.images.size + 1}` });
  }

  async ping(): Promise<void> {
    this.fault("ping");
    this.assertOpen();
  }

  async info(): Promise<EngineInfo> {
    this.assertOpen();
    return {
      kind: "fake",
      version: "0.0.0-fake",
      apiVersion: "fake",
      runtimes: ["runc", ...this.runtimes].sort(),
      cdi: this.gpuMode === "cdi",
      cgroupVersion: "1",
    };
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    const image = this.host.images.get(ref);
    if (!image) return undefined;
    return {
      id: image.id,
      env: { ...(image.env ?? {}) },
      labels: { ...(image.labels ?? {}) },
      ...(image.cmd ? { cmd: image.cmd } : {}),
    };
  }

  async ensureImage(ref: string): Promise<ImageInfo> {
    const image = await this.inspectImage(ref);
    if (!image)
      throw new GpupoolError(
        "GP_IMAGE_NOT_FOUND",
        `image ${ref} is not on this host (the fake engine has no registry)`,
        { image: ref },
      );
    return image;
  }

  async importImage(ref: string, tar: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<void> {
    for await (const _ of tar) {
      // drain: the fake keeps no filesystem
    }
    this.addImage(ref, { env: parseEnv(opts.env ?? []), ...(opts.cmd ? { cmd: opts.cmd } : {}) });
  }

  async create(spec: ContainerSpec): Promise<string> {
    this.fault("create");
    this.assertOpen();
    const image = this.host.images.get(spec.image);
    if (!image)
      throw new GpupoolError("GP_IMAGE_NOT_FOUND", `image ${spec.image} is not on this host`, {
        image: spec.image,
      });
    if ([...this.host.containers.values()].some((c) => c.spec.name === spec.name)) {
      throw new GpupoolError("GP_CONTAINER_EXISTS", `a container named ${spec.name} already exists`, {
        name: spec.name,
      });
    }
    if (spec.runtime && spec.runtime !== "runc" && !this.runtimes.includes(spec.runtime)) {
      throw new GpupoolError("GP_RUNTIME_UNAVAILABLE", `the fake engine has no OCI runtime ${spec.runtime}`, {
        runtime: spec.runtime,
      });
    }
    const env: Record<string, string> = { ...(image.env ?? {}), ...this.gpuEnv(spec), ...(spec.env ?? {}) };
    const id = `fake-${String(++this.host.seq).padStart(6, "0")}`;
    let markExited: (code: number) => void = () => {};
    const exited = new Promise<number>((resolve) => {
      markExited = resolve;
    });
    this.host.containers.set(id, {
      id,
      spec,
      env,
      command: spec.command ?? image.cmd ?? [],
      status: "created",
      exitCode: null,
      log: [],
      partial: { stdout: "", stderr: "" },
      waiters: [],
      exited,
      markExited,
    });
    return id;
  }

  async start(id: string): Promise<void> {
    this.fault("start");
    const c = this.get(id);
    if (c.status === "running") return;
    if (c.status !== "created")
      throw new GpupoolError(
        "GP_ENGINE_ERROR",
        `fake: container ${id} is ${c.status}; only created containers start`,
      );
    const shell = new FakeShell(this.world(c));
    c.shell = shell;
    c.status = "running";
    c.startedAt = new Date(this.clock.now());
    void shell.run(c.command).then(
      (code) => this.finish(c, code),
      () => this.finish(c, 255),
    );
  }

  async wait(id: string, opts: { readonly signal?: AbortSignal } = {}): Promise<number> {
    this.fault("wait");
    const c = this.get(id);
    if (opts.signal) {
      const aborted = new Promise<never>((_, reject) =>
        opts.signal?.addEventListener("abort", () => reject(opts.signal?.reason ?? new Error("aborted")), {
          once: true,
        }),
      );
      return Promise.race([c.exited, aborted]);
    }
    return c.exited;
  }

  logs(id: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const get = () => this.get(id);
    return {
      [Symbol.asyncIterator]: async function* () {
        const c = get();
        let next = 0;
        for (;;) {
          while (next < c.log.length) {
            if (opts.signal?.aborted) return;
            const line = c.log[next++] as LogLine;
            yield opts.timestamps ? line : { stream: line.stream, text: line.text };
          }
          if (!opts.follow || c.status === "exited" || c.status === "dead" || opts.signal?.aborted) return;
          await new Promise<void>((resolve) => {
            c.waiters.push(resolve);
            opts.signal?.addEventListener("abort", () => resolve(), { once: true });
          });
        }
      },
    };
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    this.fault("stop");
    const c = this.get(id);
    if (c.status !== "running" || !c.shell) return;
    c.shell.signal("TERM");
    const grace = new AbortController();
    const outcome = await Promise.race([
      c.exited.then(() => "exited" as const),
      this.clock.sleep(graceSeconds * 1000, grace.signal).then(() => "grace" as const),
    ]);
    grace.abort();
    if (outcome === "grace" && c.status === "running") c.shell.signal("KILL");
    await c.exited;
  }

  async remove(id: string): Promise<void> {
    this.fault("remove");
    const c = this.find(id);
    if (!c) return;
    if (c.status === "running") {
      c.shell?.signal("KILL");
      await c.exited;
    }
    this.host.containers.delete(c.id);
  }

  async list(labels: LabelFilter): Promise<ContainerSummary[]> {
    this.fault("list");
    return [...this.host.containers.values()]
      .filter((c) =>
        Object.entries(labels).every(([k, v]) =>
          v === true ? k in (c.spec.labels ?? {}) : c.spec.labels?.[k] === v,
        ),
      )
      .map((c) => ({
        id: c.id,
        name: c.spec.name,
        image: c.spec.image,
        status: c.status,
        labels: { ...(c.spec.labels ?? {}) },
      }));
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    this.fault("inspect");
    const c = this.find(id);
    if (!c) return undefined;
    return {
      id: c.id,
      name: c.spec.name,
      image: c.spec.image,
      status: normaliseStatus(c.status),
      exitCode: c.exitCode,
      oomKilled: false,
      labels: { ...(c.spec.labels ?? {}) },
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private finish(c: FakeContainer, code: number): void {
    for (const stream of ["stdout", "stderr"] as const) {
      if (c.partial[stream])
        c.log.push({ stream, text: c.partial[stream], time: new Date(this.clock.now()) });
      c.partial[stream] = "";
    }
    c.status = "exited";
    c.exitCode = code;
    c.finishedAt = new Date(this.clock.now());
    c.markExited(code);
    this.wake(c);
  }

  private wake(c: FakeContainer): void {
    const waiters = c.waiters;
    c.waiters = [];
    for (const w of waiters) w();
  }

  private gpuEnv(spec: ContainerSpec): Record<string, string> {
    const gpus = spec.gpus;
    if (!gpus || (gpus.cdi.length === 0 && gpus.uuids.length === 0)) return {};
    if (this.gpuMode === "deviceRequests") {
      if (gpus.uuids.length === 0)
        throw new GpupoolError(
          "GP_ENGINE_UNSUPPORTED",
          "this (docker-like) fake engine needs GPU UUIDs, not CDI names",
        );
      return { NVIDIA_VISIBLE_DEVICES: gpus.uuids.join(",") };
    }
    if (gpus.cdi.length === 0)
      throw new GpupoolError(
        "GP_ENGINE_UNSUPPORTED",
        "this (podman-like) fake engine needs CDI device names",
      );
    const env: Record<string, string> = {};
    for (const name of gpus.cdi) {
      const device = this.cdiDevices[name];
      if (!device) throw new GpupoolError("GP_ENGINE_ERROR", `fake: unresolvable CDI device ${name}`);
      Object.assign(env, device.env ?? {});
    }
    return env;
  }

  private world(c: FakeContainer) {
    const spec = c.spec;
    const sandboxed = spec.runtime === "runsc";
    const deviceNodes = new Set([
      ...(this.gpuMode === "cdi"
        ? (spec.gpus?.cdi ?? []).flatMap((n) => this.cdiDevices[n]?.deviceNodes ?? [])
        : []),
      ...(spec.devices ?? []).map((d) => d.containerPath),
    ]);
    const files: Record<string, string> = {
      "/sys/fs/cgroup/memory/memory.limit_in_bytes": `${spec.memoryMiB ? mibToBytes(spec.memoryMiB) : "9223372036854771712"}\n`,
      "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": `${spec.cpuMilli ? cpuQuotaUs(spec.cpuMilli) : -1}\n`,
      "/sys/fs/cgroup/cpu/cpu.cfs_period_us": `${CPU_PERIOD_US}\n`,
      "/etc/hostname": `${c.id.slice(0, 12)}\n`,
    };
    for (const node of deviceNodes) files[node] = "";
    // Bind mounts are real: a path under one reads and writes the host's file (the last mount wins).
    const mounted = (path: string) => {
      const p = posix.normalize(path);
      for (const m of [...(spec.mounts ?? [])].reverse()) {
        const rel = posix.relative(m.containerPath, p);
        if (rel === "" || (!rel.startsWith("..") && !posix.isAbsolute(rel)))
          return {
            host: rel === "" ? m.hostPath : posix.join(m.hostPath, rel),
            readOnly: m.readOnly === true,
          };
      }
      return undefined;
    };
    // IPC namespace: the host's (this process's) with ipc "host", else one of the container's own.
    const ipc = spec.ipc === "host" ? hostIpcNamespace() : `ipc:[${4_026_600_000 + Number(c.id.slice(5))}]`;
    const write = (stream: "stdout" | "stderr", text: string) => {
      const parts = (c.partial[stream] + text).split("\n");
      c.partial[stream] = parts.pop() ?? "";
      for (const line of parts) c.log.push({ stream, text: line, time: new Date(this.clock.now()) });
      this.wake(c);
    };
    return {
      env: c.env,
      file: (path: string) => {
        const m = mounted(path);
        if (!m) return files[path];
        try {
          return readFileSync(m.host, "utf8");
        } catch {
          return undefined;
        }
      },
      dir: (path: string) => {
        const m = mounted(path);
        if (m) {
          try {
            return readdirSync(m.host).sort();
          } catch {
            return undefined;
          }
        }
        if (path === "/sys/class/net") return (spec.network ?? "none") === "none" ? ["lo"] : ["eth0", "lo"];
        return undefined;
      },
      link: (path: string) => (path === "/proc/self/ns/ipc" ? ipc : undefined),
      writeFile: (path: string, text: string) => {
        const m = mounted(path);
        if (!m) {
          // The container's own filesystem (in memory); writes to a device node go nowhere.
          if (!deviceNodes.has(path)) files[path] = text;
          return undefined;
        }
        if (m.readOnly) return "Read-only file system";
        try {
          if (statSync(m.host, { throwIfNoEntry: false })?.isDirectory()) return "Is a directory";
          writeFileSync(m.host, text);
          return undefined;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === "ENOENT" ? "nonexistent directory" : String(err);
        }
      },
      kernelRelease: sandboxed ? "4.4.0" : "6.1.0-fake",
      dmesg: sandboxed ? ["[   0.000000] Starting gVisor...", "[   0.100000] Ready!"] : undefined,
      write,
      sleep: (ms: number, signal: AbortSignal) => this.clock.sleep(ms, signal),
    };
  }

  private find(id: string): FakeContainer | undefined {
    return this.host.containers.get(id) ?? [...this.host.containers.values()].find((c) => c.spec.name === id);
  }

  private get(id: string): FakeContainer {
    this.assertOpen();
    const c = this.find(id);
    if (!c) throw containerNotFound(id, "");
    return c;
  }

  /** Every call starts here: a closed client refuses, then an injected failure fires once. */
  private fault(op: FaultOp): void {
    this.assertOpen();
    const err = this.host.faults.get(op);
    if (!err) return;
    this.host.faults.delete(op);
    throw err;
  }

  private assertOpen(): void {
    if (this.closed) throw new GpupoolError("GP_ENGINE_UNAVAILABLE", "the fake engine is closed");
  }
}

/** The IPC namespace this process runs in (`ipc:[N]`), which "host" containers of the fake share. */
function hostIpcNamespace(): string {
  try {
    return readlinkSync("/proc/self/ns/ipc");
  } catch {
    return "ipc:[host]";
  }
}
