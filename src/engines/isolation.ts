import { GpupoolError } from "../core/errors.js";
import { RUNSC_RUNTIME, type RuntimeConfig } from "./podman-service.js";

/**
 * How strongly a job is isolated: `container` = the engine's default runtime (runc); `sandbox` =
 * gVisor (runsc), a user-space kernel; `vm` = a configured VM runtime such as kata-runtime.
 */
export type Isolation = "container" | "sandbox" | "vm";

export interface IsolationRuntimes {
  readonly sandbox?: RuntimeConfig;
  /** No default: Kata is not packaged for Debian 12; configure its path where it exists. */
  readonly vm?: RuntimeConfig;
}

export const DEFAULT_ISOLATION_RUNTIMES: IsolationRuntimes = { sandbox: RUNSC_RUNTIME };

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
      `isolation ${isolation} has no OCI runtime configured on this host`,
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
