import { existsSync } from "node:fs";
import { basename, isAbsolute } from "node:path";
import { GpupoolError } from "../core/errors.js";
import { RUNSC_RUNTIME, type RuntimeConfig } from "./podman-service.js";

/**
 * How strongly a job is isolated: `container` = the engine's default runtime (runc); `sandbox` =
 * gVisor (runsc), a user-space kernel; `vm` = a configured VM runtime such as kata-runtime.
 */
export type Isolation = "container" | "sandbox" | "vm";

export interface IsolationRuntimes {
  readonly sandbox?: RuntimeConfig;
  /**
   * No default (Kata is not packaged for Debian 12): `gpupool up --vm-runtime PATH` configures it;
   * without it `isolation: vm` is refused at submission (GP_RUNTIME_UNAVAILABLE).
   */
  readonly vm?: RuntimeConfig;
}

export const DEFAULT_ISOLATION_RUNTIMES: IsolationRuntimes = { sandbox: RUNSC_RUNTIME };

/**
 * The runtimes with `vm` = the OCI runtime binary at `vmRuntimePath` (`gpupool up --vm-runtime`),
 * named by its file name (e.g. /usr/bin/kata-runtime → "kata-runtime": the name jobs' containers ask
 * for, and the one Docker must have it registered under in daemon.json). Throws GP_INVALID_ARGUMENT
 * for a relative or missing path, or a name runc or the sandbox runtime already has.
 */
export function isolationRuntimes(vmRuntimePath?: string): IsolationRuntimes {
  if (vmRuntimePath === undefined) return DEFAULT_ISOLATION_RUNTIMES;
  const bad = (why: string) =>
    new GpupoolError("GP_INVALID_ARGUMENT", `--vm-runtime ${vmRuntimePath}: ${why}`);
  if (!isAbsolute(vmRuntimePath)) throw bad("give the absolute path of the OCI runtime binary");
  if (!existsSync(vmRuntimePath)) throw bad("no such file");
  const name = basename(vmRuntimePath);
  if (name === "runc" || name === DEFAULT_ISOLATION_RUNTIMES.sandbox?.name)
    throw bad(`${name} is already the runtime of isolation ${name === "runc" ? "container" : "sandbox"}`);
  return { ...DEFAULT_ISOLATION_RUNTIMES, vm: { name, path: vmRuntimePath } };
}

/** The runtimes to hand detectEngine (Podman gets one owned service per entry). */
export function configuredRuntimes(
  runtimes: IsolationRuntimes = DEFAULT_ISOLATION_RUNTIMES,
): RuntimeConfig[] {
  return [runtimes.sandbox, runtimes.vm].filter((r): r is RuntimeConfig => r !== undefined);
}

/**
 * ContainerSpec.runtime for an isolation level: undefined for `container` (the engine's default),
 * else the configured runtime's name. With `available` (EngineInfo.runtimes) the name must be one
 * of them; GP_RUNTIME_UNAVAILABLE otherwise, and when the level has no runtime configured.
 */
export function runtimeForIsolation(
  isolation: Isolation,
  runtimes: IsolationRuntimes = DEFAULT_ISOLATION_RUNTIMES,
  available?: readonly string[],
): string | undefined {
  if (isolation === "container") return undefined;
  const runtime = runtimes[isolation];
  if (!runtime) {
    throw new GpupoolError(
      "GP_RUNTIME_UNAVAILABLE",
      `isolation ${isolation} has no OCI runtime configured on this host${isolation === "vm" ? " (start gpupool up with --vm-runtime PATH)" : ""}`,
      {
        isolation,
      },
    );
  }
  if (available && !available.includes(runtime.name)) {
    throw new GpupoolError(
      "GP_RUNTIME_UNAVAILABLE",
      `isolation ${isolation} needs OCI runtime ${runtime.name}, which the engine does not offer (it has: ${available.join(", ")})`,
      { isolation, runtime: runtime.name },
    );
  }
  return runtime.name;
}
