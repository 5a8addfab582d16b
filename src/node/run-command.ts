import { spawn } from "node:child_process";

/**
 * Runs an external program with a hard deadline: on timeout the whole process group gets SIGKILL, so
 * a hung driver call (or a child the program forked) cannot hold gpupool up. Output is capped so a
 * runaway program cannot exhaust memory. Never throws for a non-zero exit: callers decide.
 */

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface CommandOptions {
  /** Deadline in milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Written to stdin, which is then closed (default: stdin closed at once). */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Bytes kept from each of stdout and stderr (default 16 MiB). */
  readonly maxOutputBytes?: number;
  /**
   * Finish when the program exits rather than when its output pipes close. For programs that fork a
   * daemon (`nvidia-cuda-mps-control -d`) which may keep the inherited pipes open.
   */
  readonly resolveOnExit?: boolean;
}

/** Thrown only when the program cannot be started at all (ENOENT, EACCES). */
export class CommandStartError extends Error {
  constructor(
    readonly command: string,
    readonly errno: string,
    message: string,
  ) {
    super(message);
    this.name = "CommandStartError";
  }
}

export function runCommand(
  command: string,
  args: readonly string[],
  opts: CommandOptions = {},
): Promise<CommandResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const max = opts.maxOutputBytes ?? 16 * 2 ** 20;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      // Own process group, so a timeout kills what the program forked too.
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let settled = false;
    child.stdout.on("data", (b: Buffer) => {
      if (outBytes < max) out.push(b.subarray(0, max - outBytes));
      outBytes += b.length;
    });
    child.stderr.on("data", (b: Buffer) => {
      if (errBytes < max) err.push(b.subarray(0, max - errBytes));
      errBytes += b.length;
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code,
        signal,
        timedOut,
        durationMs: Date.now() - started,
      });
    };
    child.on("error", (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new CommandStartError(command, e.code ?? "UNKNOWN", `cannot run ${command}: ${e.message}`));
    });
    // "close" waits for the pipes; after a timeout a grandchild might still hold them, so use "exit".
    child.on("exit", (code, signal) => {
      if (timedOut) finish(code, signal);
      // Give the pipes a moment to drain what was already written, then stop waiting for them.
      else if (opts.resolveOnExit) setTimeout(() => finish(code, signal), 50);
    });
    child.on("close", (code, signal) => finish(code, signal));
    child.stdin.on("error", () => {
      // The program may exit without reading its input; that is not an error here.
    });
    child.stdin.end(opts.input ?? "");
  });
}
