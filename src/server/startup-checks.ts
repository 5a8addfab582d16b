import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { GpupoolError } from "../core/errors.js";

/**
 * What `gpupool up` checks before it creates anything, so a start that cannot work ends with one
 * coded line and leaves nothing behind: the listen address is free, and the data directory can be
 * created and written.
 */

/** A listen failure (EADDRINUSE, EACCES, EADDRNOTAVAIL, …) as GP_LISTEN_FAILED; anything else unchanged. */
export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: string }).code;
  if (!code || !/^E[A-Z]+$/.test(code)) return err;
  const why =
    code === "EADDRINUSE"
      ? "the address is already in use (another gpupool or program listens there)"
      : code === "EACCES"
        ? "permission denied (ports below 1024 need root)"
        : code === "EADDRNOTAVAIL"
          ? "no interface of this host has that address"
          : (err as Error).message;
  return new GpupoolError("GP_LISTEN_FAILED", `cannot listen on ${host}:${port}: ${why}`, {
    host,
    port,
    code,
  });
}

/** Binds and releases host:port (port 0 is always free); throws GP_LISTEN_FAILED when it cannot. */
export async function probeListen(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(listenError(err, host, port)));
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Creates the data directory if needed and checks that gpupool can write there; returns whether it
 * was created now (so a failed start can remove it again). Refuses with GP_DATA_DIR_UNUSABLE,
 * naming the directory.
 */
export function prepareDataDir(dir: string): { created: boolean } {
  const created = !existsSync(dir);
  const fail = (why: string) =>
    new GpupoolError("GP_DATA_DIR_UNUSABLE", `cannot use ${dir} as gpupool's data directory: ${why}`, {
      dataDir: dir,
    });
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fail(describe(err));
  }
  if (!statSync(dir).isDirectory()) throw fail("it is not a directory");
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw fail(describe(err));
  }
  return { created };
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied (run as its owner, or pass --data)";
  if (code === "EROFS") return "the file system is read-only (pass --data on a writable one)";
  if (code === "ENOTDIR" || code === "EEXIST") return "a file is in the way of the path";
  return (err as Error).message;
}
