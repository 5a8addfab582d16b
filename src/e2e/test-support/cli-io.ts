import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Io } from "../../cli/client/common.js";
import { ADMIN } from "../../server/test-support/server.js";

/** An Io that keeps what a CLI command writes, for the tests that call the commands in-process. */
export function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/**
 * Client flags for `server` as the admin, with an empty config file (so nothing of the machine's
 * ~/.config/gpupool is read); `cleanup` removes the file's directory.
 */
export async function adminFlags(
  server: string,
): Promise<{ flags: { server: string; token: string; config: string }; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "gp-cli-"));
  await writeFile(join(dir, "empty.yaml"), "");
  return {
    flags: { server, token: ADMIN, config: join(dir, "empty.yaml") },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
