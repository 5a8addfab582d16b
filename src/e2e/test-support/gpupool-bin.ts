import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The real `bin/gpupool` (the built dist/, as a user runs it) against a real `gpupool up` on
 * loopback: for CLI tests that check exit codes, messages and signals end to end.
 */

const ROOT = new URL("../../../", import.meta.url).pathname;
export const BIN = join(ROOT, "bin/gpupool");
const TOKEN = "gp_cli-e2e-admin-token-0123456789";

export interface CliServer {
  readonly url: string;
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A `gpupool up` process started by upProcess(), once it listens. */
export interface UpProcess {
  readonly url: string;
  /** Its stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `gpupool up ARGS…` with `env`; resolves once it prints its address, rejects if it exits first. */
export async function upProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<UpProcess> {
  if (!existsSync(join(ROOT, "dist/cli/main.js")))
    throw new Error("dist/ is not built: run `npm run build` first");
  const child = spawn(process.execPath, [BIN, "up", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop(child);
      throw new Error(`gpupool up did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, output: () => out, stop: () => stop(child) };
}

/** Starts `gpupool up --engine fake` with the given extra flags; resolves once it listens. */
export async function cliServer(flags: readonly string[] = []): Promise<CliServer> {
  const data = await mkdtemp(join(tmpdir(), "gp-cli-e2e-"));
  const up = await upProcess(["--engine", "fake", "--listen", "127.0.0.1:0", "--data", data, ...flags], {
    ...process.env,
    GPUPOOL_ADMIN_TOKEN: TOKEN,
  });
  const env = { ...process.env, GPUPOOL_SERVER: up.url, GPUPOOL_TOKEN: TOKEN, NO_COLOR: "1" };
  return {
    url: up.url,
    env,
    async close() {
      await up.stop();
      await rm(data, { recursive: true, force: true });
    },
  };
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `gpupool ARGS…`; `until` may end it early (e.g. once stderr shows something). */
export function gpupool(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  opts: {
    readonly timeoutMs?: number;
    readonly onErr?: (err: string, child: ChildProcess) => void;
    readonly onOut?: (out: string, child: ChildProcess) => void;
  } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      opts.onOut?.(out, child);
    });
    child.stderr!.on("data", (b: Buffer) => {
      err += b.toString();
      opts.onErr?.(err, child);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.on("close", r));
  child.kill("SIGTERM");
  await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

/** `gpupool ARGS…` against `srv`, which must exit 0; its stdout. Throws with stderr otherwise. */
export async function cliOk(srv: CliServer, ...args: string[]): Promise<string> {
  const r = await gpupool(args, srv.env);
  if (r.code !== 0) throw new Error(`gpupool ${args.join(" ")} exited ${r.code}: ${r.err}`);
  return r.out;
}

/** Polls `gpupool get REF -o json` until the job is in `state` (15 s at most). */
export async function cliUntil(srv: CliServer, ref: string, state: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const job = (JSON.parse(await cliOk(srv, "get", ref, "-o", "json")) as { job: { state: string } }).job;
    if (job.state === state) return;
    if (Date.now() > deadline) throw new Error(`${ref} is ${job.state}, not ${state}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
