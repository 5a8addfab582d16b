import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { GpupoolError } from "../core/errors.js";
import { CommandStartError, runCommand } from "./run-command.js";

/**
 * One MPS control daemon per shared GPU, driven through `nvidia-cuda-mps-control`: `-d` starts the
 * daemon for the GPU named in CUDA_VISIBLE_DEVICES with its own pipe and log directories; commands
 * (`set_default_active_thread_percentage`, `set_default_device_pinned_mem_limit`, `quit`, …) go to it
 * on stdin. Clients (containers) reach it through the pipe directory (CUDA_MPS_PIPE_DIRECTORY).
 * `ensure` restarts a daemon that died (a crash), re-applying its defaults.
 */

/** Where the per-GPU pipe and log directories go unless told otherwise. */
export const DEFAULT_MPS_ROOT = "/run/gpupool/mps";

export interface MpsDefaults {
  /** Default CUDA_MPS_ACTIVE_THREAD_PERCENTAGE for new clients, 1..100. */
  readonly activeThreadPercentage?: number;
  /** Default pinned device memory limit for new clients, MiB (device 0 as the daemon sees it). */
  readonly pinnedMemLimitMiB?: number;
}

export interface MpsControlOptions {
  /** Binary name or path (default "nvidia-cuda-mps-control", looked up on PATH). */
  readonly binary?: string;
  /** Root of per-GPU pipe/log directories (default /run/gpupool/mps). */
  readonly root?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Deadline per call, ms (default 10 000). */
  readonly timeoutMs?: number;
}

export type MpsEnsureOutcome = "running" | "started" | "restarted";

export class MpsControl {
  private readonly binary: string;
  private readonly root: string;
  private readonly timeoutMs: number;
  /** GPUs whose daemon this instance started, with their defaults (to restart after a crash). */
  private readonly managed = new Map<string, MpsDefaults>();

  constructor(private readonly opts: MpsControlOptions = {}) {
    this.binary = opts.binary ?? "nvidia-cuda-mps-control";
    this.root = opts.root ?? DEFAULT_MPS_ROOT;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** The daemon's directories for one GPU; the pipe directory is what clients mount. */
  dirs(gpuUuid: string): { pipe: string; log: string } {
    if (!/^[A-Za-z0-9-]+$/.test(gpuUuid))
      throw new GpupoolError("GP_INVALID_ARGUMENT", `bad GPU UUID "${gpuUuid}"`);
    return { pipe: join(this.root, gpuUuid, "pipe"), log: join(this.root, gpuUuid, "log") };
  }

  private envFor(gpuUuid: string): NodeJS.ProcessEnv {
    const { pipe, log } = this.dirs(gpuUuid);
    return {
      ...(this.opts.env ?? process.env),
      CUDA_VISIBLE_DEVICES: gpuUuid,
      CUDA_MPS_PIPE_DIRECTORY: pipe,
      CUDA_MPS_LOG_DIRECTORY: log,
    };
  }

  private async exec(gpuUuid: string, args: string[], input?: string) {
    try {
      return await runCommand(this.binary, args, {
        env: this.envFor(gpuUuid),
        input,
        timeoutMs: this.timeoutMs,
        // `-d` forks the daemon, which may hold our pipes open: the parent's exit is what counts.
        resolveOnExit: args.includes("-d"),
      });
    } catch (err) {
      if (err instanceof CommandStartError) {
        throw new GpupoolError(
          "GP_MPS_FAILED",
          `${this.binary}: ${err.errno === "ENOENT" ? "not found on PATH" : err.message}`,
          {
            gpu: gpuUuid,
          },
        );
      }
      throw err;
    }
  }

  /** Sends commands to the GPU's control daemon; returns its stdout. Throws GP_MPS_FAILED on failure. */
  async command(gpuUuid: string, lines: readonly string[]): Promise<string> {
    const r = await this.exec(gpuUuid, [], `${lines.join("\n")}\n`);
    if (r.timedOut || r.code !== 0) {
      const why = r.timedOut
        ? `no answer within ${this.timeoutMs} ms`
        : r.stderr.trim() || r.stdout.trim() || `exit ${r.code}`;
      throw new GpupoolError("GP_MPS_FAILED", `MPS control for ${gpuUuid} (${lines.join("; ")}): ${why}`, {
        gpu: gpuUuid,
      });
    }
    return r.stdout;
  }

  /** Whether the GPU's control daemon answers. */
  async isRunning(gpuUuid: string): Promise<boolean> {
    const r = await this.exec(gpuUuid, [], "get_server_list\n");
    return !r.timedOut && r.code === 0;
  }

  /** Starts the GPU's control daemon and applies defaults. */
  async start(gpuUuid: string, defaults: MpsDefaults = {}): Promise<void> {
    const { pipe, log } = this.dirs(gpuUuid);
    try {
      mkdirSync(pipe, { recursive: true, mode: 0o755 });
      mkdirSync(log, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw new GpupoolError(
        "GP_MPS_FAILED",
        `cannot create the MPS directories of ${gpuUuid} under ${this.root}: ${(err as Error).message}`,
        { gpu: gpuUuid },
      );
    }
    const r = await this.exec(gpuUuid, ["-d"]);
    if (r.timedOut || r.code !== 0) {
      throw new GpupoolError(
        "GP_MPS_FAILED",
        `cannot start the MPS control daemon for ${gpuUuid}: ${r.stderr.trim() || r.stdout.trim() || `exit ${r.code}`}`,
        { gpu: gpuUuid },
      );
    }
    this.managed.set(gpuUuid, defaults);
    await this.setDefaults(gpuUuid, defaults);
  }

  async setDefaults(gpuUuid: string, d: MpsDefaults): Promise<void> {
    const lines: string[] = [];
    if (d.activeThreadPercentage !== undefined) {
      const p = d.activeThreadPercentage;
      if (!Number.isInteger(p) || p < 1 || p > 100)
        throw new GpupoolError("GP_INVALID_ARGUMENT", `MPS thread percentage ${p} is not 1..100`);
      lines.push(`set_default_active_thread_percentage ${p}`);
    }
    if (d.pinnedMemLimitMiB !== undefined) {
      const m = d.pinnedMemLimitMiB;
      if (!Number.isInteger(m) || m < 1)
        throw new GpupoolError("GP_INVALID_ARGUMENT", `MPS memory limit ${m} MiB is not a positive integer`);
      lines.push(`set_default_device_pinned_mem_limit 0 ${m}M`);
    }
    if (lines.length > 0) await this.command(gpuUuid, lines);
    if (this.managed.has(gpuUuid)) this.managed.set(gpuUuid, { ...this.managed.get(gpuUuid), ...d });
  }

  /** Stops the GPU's daemon (`quit`); a daemon that is not running counts as stopped. */
  async stop(gpuUuid: string): Promise<void> {
    this.managed.delete(gpuUuid);
    if (!(await this.isRunning(gpuUuid))) return;
    await this.command(gpuUuid, ["quit"]);
  }

  /**
   * Makes sure the GPU's daemon runs: `running` if it answers, `started` the first time, `restarted`
   * when a daemon this instance started has died (its defaults are applied again).
   */
  async ensure(gpuUuid: string, defaults?: MpsDefaults): Promise<MpsEnsureOutcome> {
    if (await this.isRunning(gpuUuid)) {
      if (!this.managed.has(gpuUuid)) this.managed.set(gpuUuid, defaults ?? {});
      return "running";
    }
    const known = this.managed.get(gpuUuid);
    await this.start(gpuUuid, defaults ?? known ?? {});
    return known ? "restarted" : "started";
  }

  /** Runs `ensure` for every managed GPU (the supervision loop calls this periodically). */
  async superviseAll(): Promise<Map<string, MpsEnsureOutcome>> {
    const out = new Map<string, MpsEnsureOutcome>();
    for (const uuid of [...this.managed.keys()]) out.set(uuid, await this.ensure(uuid));
    return out;
  }

  managedGpus(): string[] {
    return [...this.managed.keys()];
  }
}
