import { GpupoolError } from "../core/errors.js";
import { GPU_SHARING_MODES } from "../node/gpu-sharing.js";
import { startServer } from "./up.js";

/** `gpupool up` in the foreground: start, print how to reach it, stop cleanly on SIGINT/SIGTERM. */
/** The flags of `gpupool up`, as commander parses them (src/cli/commands/up.ts). */
export interface UpCliOptions {
  simulate?: string;
  simulateCpus?: string;
  engine: string;
  data?: string;
  listen: string;
  cdiDir: string;
  gpuSharing: string;
  vmRuntime?: string;
  overuseAction: string;
  telemetryInterval: string;
  gpuHealthLog?: string;
  gpuHealthInterval: string;
  gpuHealthRecover: string;
  log?: boolean;
}

export async function runUp(opts: UpCliOptions): Promise<void> {
  const engines = ["auto", "podman", "docker", "fake"] as const;
  const engine = engines.find((e) => e === opts.engine);
  if (!engine)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--engine must be one of ${engines.join(", ")}, got "${opts.engine}"`,
    );
  const gpuSharing = GPU_SHARING_MODES.find((m) => m === opts.gpuSharing);
  if (!gpuSharing)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--gpu-sharing must be one of ${GPU_SHARING_MODES.join(", ")}, got "${opts.gpuSharing}"`,
    );
  const gpuHealth =
    opts.gpuHealthLog === undefined
      ? undefined
      : {
          log: opts.gpuHealthLog,
          intervalMs: wholeNumber("--gpu-health-interval", opts.gpuHealthInterval, 10, 3_600_000),
          recoverMs: wholeNumber("--gpu-health-recover", opts.gpuHealthRecover, 0, 30 * 86_400) * 1000,
        };
  if (opts.overuseAction !== "warn" && opts.overuseAction !== "kill")
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--overuse-action must be warn or kill, got "${opts.overuseAction}"`,
    );
  const overuse = {
    action: opts.overuseAction,
    intervalMs: wholeNumber("--telemetry-interval", opts.telemetryInterval, 100, 3_600_000),
  } as const;
  const simulateCpus = opts.simulateCpus === undefined ? undefined : cpuCount(opts.simulateCpus);
  const server = await startServer({
    ...(opts.simulate ? { simulate: opts.simulate } : {}),
    ...(simulateCpus !== undefined ? { simulateCpus } : {}),
    engine,
    ...(opts.data ? { data: opts.data } : {}),
    listen: opts.listen,
    cdiDir: opts.cdiDir,
    gpuSharing,
    ...(opts.vmRuntime !== undefined ? { vmRuntime: opts.vmRuntime } : {}),
    ...(gpuHealth ? { gpuHealth } : {}),
    overuse,
    ...(process.env.GPUPOOL_ADMIN_TOKEN ? { adminToken: process.env.GPUPOOL_ADMIN_TOKEN } : {}),
    logger: opts.log ? { level: "info" } : false,
    out: (line) => process.stdout.write(`${line}\n`),
  });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      process.stdout.write(`gpupool: ${sig}, stopping (job containers keep running)\n`);
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await server.close();
}

/** `--simulate-cpus N`: a whole number of CPUs from 1 to 4096. */
export function cpuCount(text: string): number {
  return wholeNumber("--simulate-cpus", text, 1, 4096, "CPUs");
}

/** A flag's whole number within [min, max]; GP_INVALID_ARGUMENT naming the flag otherwise. */
export function wholeNumber(flag: string, text: string, min: number, max: number, of?: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `${flag} must be a whole number${of ? ` of ${of}` : ""} from ${min} to ${max}, got "${text}"`,
    );
  return n;
}
