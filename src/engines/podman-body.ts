import { readFileSync } from "node:fs";
import { GpupoolError } from "../core/errors.js";
import {
  type ContainerSpec,
  CPU_PERIOD_US,
  DEFAULT_STOP_GRACE_SECONDS,
  cpuQuotaUs,
  mibToBytes,
} from "./engine.js";

/** An rlimit as libpod's spec generator takes it (`r_limits`): type "nofile", not "RLIMIT_NOFILE" (podman adds the prefix). */
export interface Rlimit {
  readonly type: string;
  readonly soft: number;
  readonly hard: number;
}

/**
 * The body of libpod `POST /v4.0.0/libpod/containers/create` for a ContainerSpec. GPUs are CDI
 * device names (`devices: [{path: "nvidia.com/gpu=…"}]`), the only way CDI works through the API
 * in Podman 4.3 (the Docker-compatible endpoint ignores DeviceRequests). `rlimits` should be the
 * host's hard limits: Podman's default nofile/nproc of 1048576 fails without CAP_SYS_RESOURCE.
 * The OCI runtime is not in the body: Podman 4.3 ignores `oci_runtime` over the API, so the
 * adapter sends the request to a service started with that runtime instead (podman.ts).
 */
export function podmanCreateBody(spec: ContainerSpec, rlimits: readonly Rlimit[]): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: spec.name,
    image: spec.image,
    env: { ...(spec.env ?? {}) },
    labels: { ...(spec.labels ?? {}) },
    terminal: false,
    stdin: false,
    remove: false,
    stop_signal: 15,
    stop_timeout: spec.stopGraceSeconds ?? DEFAULT_STOP_GRACE_SECONDS,
    r_limits: rlimits.map((r) => ({ type: r.type, soft: r.soft, hard: r.hard })),
  };
  if (spec.command) body.command = [...spec.command];
  const network = spec.network ?? "none";
  if (network === "none" || network === "host") body.netns = { nsmode: network };
  const limits: Record<string, unknown> = {};
  if (spec.memoryMiB && spec.memoryMiB > 0) {
    const bytes = mibToBytes(spec.memoryMiB);
    limits.memory = { limit: bytes, swap: bytes };
  }
  if (spec.cpuMilli && spec.cpuMilli > 0)
    limits.cpu = { quota: cpuQuotaUs(spec.cpuMilli), period: CPU_PERIOD_US };
  if (Object.keys(limits).length > 0) body.resource_limits = limits;
  const gpus = spec.gpus;
  if (gpus && gpus.cdi.length === 0 && gpus.uuids.length > 0) {
    throw new GpupoolError(
      "GP_ENGINE_UNSUPPORTED",
      `podman attaches GPUs as CDI devices; got only UUIDs (${gpus.uuids.join(", ")}) — generate a CDI spec for them`,
    );
  }
  // CDI names first, then plain HOST:CONTAINER mappings (libpod parses both from `path`).
  const devices = [
    ...(gpus?.cdi ?? []).map((path) => ({ path })),
    ...(spec.devices ?? []).map((d) => ({ path: `${d.hostPath}:${d.containerPath}:rw` })),
  ];
  if (devices.length > 0) body.devices = devices;
  if (spec.ipc === "host") body.ipcns = { nsmode: "host" };
  // OCI mounts (specgen `mounts`); "rbind" as `-v` gives, so mounts below the source come along.
  if (spec.mounts && spec.mounts.length > 0)
    body.mounts = spec.mounts.map((m) => ({
      type: "bind",
      source: m.hostPath,
      destination: m.containerPath,
      options: ["rbind", m.readOnly ? "ro" : "rw"],
    }));
  return body;
}

/**
 * This process's hard nofile/nproc limits (nproc capped at kernel.pid_max), read from /proc, as
 * rlimits a container may be given without CAP_SYS_RESOURCE. Empty off Linux.
 */
export function hostRlimits(
  procLimits = "/proc/self/limits",
  pidMaxFile = "/proc/sys/kernel/pid_max",
): Rlimit[] {
  let text: string;
  try {
    text = readFileSync(procLimits, "utf8");
  } catch {
    return [];
  }
  const hard = (label: string): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(label));
    const fields = line?.slice(label.length).trim().split(/\s+/);
    const value = fields?.[1];
    if (value === undefined) return undefined;
    return value === "unlimited" ? Number.POSITIVE_INFINITY : Number(value);
  };
  let pidMax = 4_194_304;
  try {
    pidMax = Number(readFileSync(pidMaxFile, "utf8").trim());
  } catch {
    // keep the kernel's ceiling
  }
  const out: Rlimit[] = [];
  const nofile = hard("Max open files");
  if (nofile !== undefined) {
    const n = Number.isFinite(nofile) ? nofile : 1_048_576;
    out.push({ type: "nofile", soft: n, hard: n });
  }
  const nproc = hard("Max processes");
  if (nproc !== undefined) {
    const n = Math.min(nproc, pidMax);
    out.push({ type: "nproc", soft: n, hard: n });
  }
  return out;
}
