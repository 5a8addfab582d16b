import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

export interface FakeBin {
  /** Folder holding the fake binaries; put it first on PATH. */
  readonly dir: string;
  /** Environment for child processes: PATH with `dir` first, plus the fake's own variables. */
  readonly env: NodeJS.ProcessEnv;
  /** Path of the call log (one line of arguments per call). */
  readonly logFile: string;
  /** Calls recorded so far, one argument string each. */
  calls(): string[];
  cleanup(): void;
}

/**
 * Installs test-support scripts under their real names (e.g. fake-nvidia-smi.sh as `nvidia-smi`)
 * in a fresh temp folder and returns an environment that finds them on PATH.
 */
export function installFakeBins(bins: Record<string, string>, vars: Record<string, string> = {}): FakeBin {
  const dir = mkdtempSync(join(tmpdir(), "gpupool-fakebin-"));
  for (const [name, script] of Object.entries(bins)) {
    const target = join(dir, name);
    copyFileSync(join(HERE, script), target);
    chmodSync(target, 0o755);
  }
  const logFile = join(dir, "calls.log");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    FAKE_SMI_LOG: logFile,
    FAKE_MPS_LOG: logFile,
    ...vars,
  };
  return {
    dir,
    env,
    logFile,
    calls: () =>
      existsSync(logFile)
        ? readFileSync(logFile, "utf8")
            .split("\n")
            .filter((l) => l !== "")
        : [],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
