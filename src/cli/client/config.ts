import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { GpupoolError } from "../../core/errors.js";

/** Where the CLI finds the server and its token: flags, then GPUPOOL_SERVER/GPUPOOL_TOKEN, then the config file. */
export interface ClientConfig {
  readonly server: string;
  readonly token: string | undefined;
}

export interface ClientFlags {
  readonly server?: string;
  readonly token?: string;
  readonly config?: string;
}

export const DEFAULT_SERVER = "http://127.0.0.1:7878";

/** ~/.config/gpupool/config.yaml (or $GPUPOOL_CONFIG): `server: …` and `token: …`. */
export function configPath(env = process.env): string {
  return (
    env.GPUPOOL_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "gpupool", "config.yaml")
  );
}

function readConfigFile(path: string, explicit: boolean): { server?: string; token?: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (explicit)
      throw new GpupoolError("GP_INVALID_ARGUMENT", `--config ${path}: ${(err as Error).message}`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `${path}: not YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object")
    throw new GpupoolError("GP_INVALID_ARGUMENT", `${path}: expected "server:" and "token:" keys`);
  const d = doc as Record<string, unknown>;
  return {
    ...(typeof d.server === "string" ? { server: d.server } : {}),
    ...(typeof d.token === "string" ? { token: d.token } : {}),
  };
}

export function resolveClientConfig(flags: ClientFlags, env = process.env): ClientConfig {
  const file = readConfigFile(flags.config ?? configPath(env), flags.config !== undefined);
  const server = (flags.server ?? env.GPUPOOL_SERVER ?? file.server ?? DEFAULT_SERVER).replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(server))
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--server must be a URL like ${DEFAULT_SERVER}, got "${server}"`,
    );
  return { server, token: flags.token ?? env.GPUPOOL_TOKEN ?? file.token };
}

/**
 * Writes `server:` and `token:` into the config file at `path` (keeping any other keys), creating
 * its folder (0700) and leaving the file readable by its owner only (0600): it holds a token.
 */
export function writeClientConfig(path: string, cfg: { server: string; token: string }): void {
  let doc: Record<string, unknown> = {};
  try {
    const old: unknown = parseYaml(readFileSync(path, "utf8"));
    if (old !== null && typeof old === "object" && !Array.isArray(old)) doc = { ...old };
  } catch {
    // No file yet, or not YAML: it is replaced.
  }
  doc.server = cfg.server;
  doc.token = cfg.token;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, toYaml(doc), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `cannot write ${path}: ${(err as Error).message}`);
  }
}
