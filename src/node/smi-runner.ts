import { GpupoolError } from "../core/errors.js";
import { CommandStartError, runCommand } from "./run-command.js";

/**
 * The one way gpupool calls `nvidia-smi`: a binary name (found on PATH) or path, a deadline, and
 * errors with stable codes: GP_NVIDIA_SMI_FAILED (missing binary, non-zero exit),
 * GP_NVIDIA_SMI_TIMEOUT (no answer within the deadline; the process group is killed).
 */
export interface SmiRunner {
  /** Runs nvidia-smi with these arguments and returns its stdout. */
  run(args: readonly string[]): Promise<string>;
}

export interface SmiRunnerOptions {
  /** Binary name or path (default "nvidia-smi", looked up on PATH). */
  readonly binary?: string;
  /** Deadline per call in milliseconds (default 15 000: a healthy nvidia-smi answers in well under 2 s). */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export function nvidiaSmiRunner(opts: SmiRunnerOptions = {}): SmiRunner {
  const binary = opts.binary ?? "nvidia-smi";
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return {
    async run(args) {
      const shown = `${binary} ${args.join(" ")}`.trim();
      let r: Awaited<ReturnType<typeof runCommand>>;
      try {
        r = await runCommand(binary, args, { timeoutMs, env: opts.env });
      } catch (err) {
        if (err instanceof CommandStartError) {
          const why =
            err.errno === "ENOENT"
              ? "not found (is the NVIDIA driver installed and nvidia-smi on PATH?)"
              : err.message;
          throw new GpupoolError("GP_NVIDIA_SMI_FAILED", `${binary}: ${why}`, {
            command: shown,
            errno: err.errno,
          });
        }
        throw err;
      }
      if (r.timedOut) {
        throw new GpupoolError(
          "GP_NVIDIA_SMI_TIMEOUT",
          `\`${shown}\` did not finish within ${timeoutMs} ms and was killed`,
          {
            command: shown,
            timeoutMs,
          },
        );
      }
      if (r.code !== 0) {
        const msg = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(0, 3).join(" / ") || "no output";
        throw new GpupoolError(
          "GP_NVIDIA_SMI_FAILED",
          `\`${shown}\` exited with ${r.code ?? r.signal}: ${msg}`,
          {
            command: shown,
            code: r.code,
          },
        );
      }
      return r.stdout;
    },
  };
}
