/**
 * The container-engine port: what gpupool needs from Podman, Docker or a fake to run one job
 * attempt as one container. Adapters: podman.ts (libpod API), docker.ts (Engine API v1.41),
 * fake.ts (in memory). conformance.case.test.ts holds the one test suite every adapter must pass.
 *
 * Units: CPU in milli-CPUs (1000 = one core), memory in MiB (2^20 bytes), grace periods in seconds.
 * Failures are GpupoolErrors with the GP_ENGINE_* / GP_CONTAINER_* / GP_IMAGE_* codes.
 */

export type EngineKind = "podman" | "docker" | "fake";

export interface EngineInfo {
  readonly kind: EngineKind;
  /** Engine version, e.g. "4.3.1" or "20.10.24". */
  readonly version: string;
  /** API version the adapter speaks, e.g. "4.0.0" (libpod) or "1.41". */
  readonly apiVersion: string;
  /** OCI runtime names `ContainerSpec.runtime` may take on this engine (the default one included). */
  readonly runtimes: readonly string[];
  /** Whether GPUs are handed over as CDI device names (Podman) rather than DeviceRequests (Docker). */
  readonly cdi: boolean;
  /** "1" or "2", when the engine reports it. */
  readonly cgroupVersion?: string;
}

export interface ImageInfo {
  readonly id: string;
  /** Image environment (`ENV`), e.g. { PATH: "/bin", CUDA_VERSION: "12.4.1" }. */
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly cmd?: readonly string[];
}

/**
 * The GPUs a container gets, in both forms an engine may need; the adapter uses the one it can
 * enforce and refuses (GP_ENGINE_UNSUPPORTED) when the form it needs is empty.
 */
export interface GpuDevices {
  /** Fully qualified CDI names, e.g. "nvidia.com/gpu=GPU-8f1c…" (Podman). */
  readonly cdi: readonly string[];
  /** GPU or MIG device UUIDs, e.g. "GPU-8f1c…" / "MIG-…" (Docker: a DeviceRequest for driver "nvidia"). */
  readonly uuids: readonly string[];
}

export interface DeviceMapping {
  readonly hostPath: string;
  readonly containerPath: string;
}

/** A bind mount of a host directory or file (`-v HOST:CONTAINER[:ro]`). */
export interface BindMount {
  /** Absolute host path; it must exist (engines are not asked to create it). */
  readonly hostPath: string;
  /** Absolute path inside the container. */
  readonly containerPath: string;
  /** Mounted read-only (default: read-write). */
  readonly readOnly?: boolean;
}

export interface ContainerSpec {
  /** Container name; unique per engine (a second create with it fails with GP_CONTAINER_EXISTS). */
  readonly name: string;
  readonly image: string;
  /** Argv; absent = the image's CMD. */
  readonly command?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  /** CPU limit in milli-CPUs (CFS quota over a 100 ms period); absent or 0 = unlimited. */
  readonly cpuMilli?: number;
  /** Memory limit in MiB, swap included (no swap beyond it); absent or 0 = unlimited. */
  readonly memoryMiB?: number;
  /**
   * "none" (default): loopback only. "default": the engine's default network. "host": the host's
   * network namespace (gang members on one host meet on its loopback, as NCCL/torchrun expect).
   */
  readonly network?: "none" | "default" | "host";
  /** OCI runtime name, one of EngineInfo.runtimes (e.g. "runsc"); absent = the engine's default (runc). */
  readonly runtime?: string;
  readonly gpus?: GpuDevices;
  /**
   * Plain device mappings (`--device HOST:CONTAINER`). gpupool uses them on Docker for simulated GPUs:
   * /dev/null stand-ins at the slice's device paths, as the CDI spec gives them on Podman.
   */
  readonly devices?: readonly DeviceMapping[];
  /**
   * "host": the host's IPC namespace (`--ipc=host`); absent: the engine's default (a private one).
   * MPS clients need it: they share memory with the GPU's MPS daemon.
   */
  readonly ipc?: "host";
  /** Bind mounts, e.g. an MPS daemon's pipe directory on Docker (Podman gets it from the CDI spec). */
  readonly mounts?: readonly BindMount[];
  /** Seconds between SIGTERM and SIGKILL when the engine itself stops the container (default 10). */
  readonly stopGraceSeconds?: number;
}

/** Normalised container status; engines' other words (e.g. "configured", "stopped") map onto these. */
export type ContainerStatus =
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "removing"
  | "exited"
  | "dead";

export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly status: ContainerStatus;
  /** Exit code once exited; null before. 128+N after death by signal N (137 = SIGKILL). */
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
}

export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly status: ContainerStatus;
  readonly labels: Readonly<Record<string, string>>;
}

export interface LogLine {
  readonly stream: "stdout" | "stderr";
  /** One line without its trailing newline (a last unterminated line is emitted as is). */
  readonly text: string;
  /** When the engine logged the line; only with LogOptions.timestamps. */
  readonly time?: Date;
}

export interface LogOptions {
  /** Keep streaming until the container exits (default false: what is there now, then end). */
  readonly follow?: boolean;
  /** Ends the stream early (the iterator returns without error). */
  readonly signal?: AbortSignal;
  /** Fill LogLine.time with the engine's timestamp of each line. */
  readonly timestamps?: boolean;
}

/** Labels a container must all carry to match; a value of `true` matches the key with any value. */
export type LabelFilter = Readonly<Record<string, string | true>>;

export interface ImportOptions {
  /** Image CMD, e.g. ["/bin/sh"]. */
  readonly cmd?: readonly string[];
  /** Image ENV as KEY=VALUE, e.g. ["PATH=/bin"]. */
  readonly env?: readonly string[];
}

/**
 * Contracts every adapter keeps (checked by conformance.case.test.ts):
 * - ids returned by create are accepted by every other method; names are accepted too.
 * - start/stop/wait/logs on an unknown container fail with GP_CONTAINER_NOT_FOUND;
 *   inspect returns undefined and remove does nothing (remove is idempotent).
 * - stop is idempotent: stopping an exited container succeeds at once.
 * - wait is called after start and resolves with the exit code once the container has exited
 *   (immediately if it already has).
 * - list returns containers in every status, created and exited included.
 */
export interface ContainerEngine {
  readonly kind: EngineKind;
  /** Resolves when the engine answers; GP_ENGINE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  info(): Promise<EngineInfo>;
  /** The local image, or undefined when it is not present. */
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  /** The local image, pulling it when missing and `pull` is true; GP_IMAGE_NOT_FOUND when neither works. */
  ensureImage(ref: string, opts?: { readonly pull?: boolean }): Promise<ImageInfo>;
  /** Imports a rootfs tarball as image `ref` (the offline way to get images onto a host). */
  importImage(ref: string, tar: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<void>;
  /** Creates (does not start) a container; returns its id. GP_IMAGE_NOT_FOUND if the image is not local. */
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  wait(id: string, opts?: { readonly signal?: AbortSignal }): Promise<number>;
  logs(id: string, opts?: LogOptions): AsyncIterable<LogLine>;
  /** SIGTERM, then SIGKILL after graceSeconds; resolves once the container has exited. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Removes the container (force: even while running). No error when it does not exist. */
  remove(id: string): Promise<void>;
  /** Containers carrying all the given labels, in any status. */
  list(labels: LabelFilter): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerState | undefined>;
  /** Releases connections (and any process the adapter owns). */
  close(): Promise<void>;
}

/** The stop signal gpupool asks for (images may not set another). */
export const STOP_SIGNAL = "SIGTERM";
export const DEFAULT_STOP_GRACE_SECONDS = 10;
/** CFS period used for CPU limits, in microseconds. */
export const CPU_PERIOD_US = 100_000;

/** CFS quota in microseconds per CPU_PERIOD_US for a limit in milli-CPUs (500m → 50000). */
export function cpuQuotaUs(cpuMilli: number): number {
  return Math.round((cpuMilli * CPU_PERIOD_US) / 1000);
}

export function mibToBytes(mib: number): number {
  return Math.round(mib * 1024 * 1024);
}
