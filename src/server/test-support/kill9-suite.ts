import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerEngine } from "../../engines/engine.js";
import { LABELS } from "../../engines/labels.js";
import type { JobView } from "../../api/schemas.js";

/**
 * Acceptance 4, run per engine: `kill -9` of `gpupool up` (the real binary) with 3 jobs running and 2
 * pending, then a restart: all 5 succeed, each ran exactly once (its archived log shows one start),
 * and no container of the instance is left (no duplicate, no orphan).
 */

const ROOT = new URL("../../../", import.meta.url).pathname;
export const TOKEN = "gp_kill9-test-admin-token-abcdef";

/** Builds dist/ when it is older than the sources this test runs through the binary. */
export function ensureBuilt(): void {
  const out = join(ROOT, "dist/server/up.js");
  // Every shipped source file counts: a stale dist/ runs old code under a new test.
  const newest = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.includes("test-support"))
    .map((f) => statSync(join(ROOT, "src", f)).mtimeMs)
    .reduce((a, b) => Math.max(a, b), 0);
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return;
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
}

export interface Up {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

/** The environment without CONTAINER_HOST/DOCKER_HOST, so the engine is the one the test names. */
function withoutEngineEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CONTAINER_HOST: _c, DOCKER_HOST: _d, ...rest } = env;
  return rest;
}

export async function up(
  data: string,
  engine: string,
  env: Record<string, string>,
  simulate = "1xA100-80GB",
): Promise<Up> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin/gpupool"),
      "up",
      "--engine",
      engine,
      "--simulate",
      simulate,
      "--data",
      data,
      "--listen",
      "127.0.0.1:0",
    ],
    {
      env: { ...withoutEngineEnv(process.env), ...env, GPUPOOL_ADMIN_TOKEN: TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return { child, url: m[1]!, output: () => out };
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`gpupool up did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One `gpupool up` on real Podman over a fresh data dir, as the Podman tests of one behaviour use it:
 * start, kill -9, start again on the same data, and stop (call from afterAll) removing the data dir.
 */
export function podmanSession(prefix: string, simulate?: string) {
  let data = "";
  let current: Up | undefined;
  const start = async () => {
    current = await up(data, "podman", {}, simulate);
    return current;
  };
  return {
    get data(): string {
      return data;
    },
    get up(): Up {
      if (!current) throw new Error("podmanSession: not started");
      return current;
    },
    async start(): Promise<Up> {
      ensureBuilt();
      data = await mkdtemp(join(tmpdir(), prefix));
      return start();
    },
    async kill9(): Promise<void> {
      const child = this.up.child;
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    },
    restart: start,
    async stop(): Promise<void> {
      if (current && current.child.exitCode === null && current.child.signalCode === null) {
        const child = current.child;
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      if (data) await rm(data, { recursive: true, force: true });
    },
  };
}

export async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const doc = (await res.json()) as T;
  if (res.status >= 400) throw new Error(`${method} ${path}: ${JSON.stringify(doc)}`);
  return doc;
}

async function jobs(url: string): Promise<JobView[]> {
  return (await api<{ jobs: JobView[] }>(url, "GET", "/v1/jobs")).jobs;
}

async function until(url: string, pred: (js: JobView[]) => boolean, timeoutMs: number): Promise<JobView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const js = await jobs(url);
    if (pred(js)) return js;
    if (Date.now() > deadline)
      throw new Error(`timed out: ${JSON.stringify(js.map((j) => [j.name, j.state, j.reason]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Kill9Options {
  readonly skip: string | undefined;
  /** `gpupool up --engine` value and extra environment (e.g. DOCKER_HOST). */
  readonly engine: () => Promise<{ name: string; env: Record<string, string> }>;
  /** An engine client to list containers with, given the engine socket the server reported using. */
  readonly lister: (socketPath: string) => ContainerEngine;
}

export function kill9Suite(title: string, opts: Kill9Options): void {
  describe.skipIf(opts.skip !== undefined)(`kill -9 and restart (${title})`, () => {
    let data = "";
    let current: Up | undefined;
    beforeAll(async () => {
      ensureBuilt();
      data = await mkdtemp(join(tmpdir(), "gp-kill9-"));
    }, 180_000);
    afterAll(async () => {
      if (current) {
        for (const j of await jobs(current.url).catch(() => []))
          await api(current.url, "DELETE", `/v1/jobs/${j.id}?force=true`).catch(() => {});
        current.child.kill("SIGTERM");
        await new Promise((r) => current!.child.once("exit", r));
      }
      if (data) await rm(data, { recursive: true, force: true });
    }, 120_000);

    it("acceptance 4: 3 running + 2 pending survive kill -9; all 5 succeed once; no duplicate or orphan container", async () => {
      const engine = await opts.engine();
      current = await up(data, engine.name, engine.env);
      const spec = (name: string, gpu: number, sleep: number) => ({
        name,
        image: "localhost/busybox:latest",
        cpu: "100m",
        memory: "64Mi",
        gpu,
        command: [
          "sh",
          "-c",
          `echo start $GPUPOOL_JOB_NAME attempt $GPUPOOL_ATTEMPT; sleep ${sleep}; echo done`,
        ],
      });
      // Long enough that they still run when gpupool is killed, even on a loaded machine.
      for (const i of [0, 1, 2]) await api(current.url, "POST", "/v1/jobs", spec(`run-${i}`, 0.25, 15));
      await until(current.url, (js) => js.filter((j) => j.state === "Running").length === 3, 30_000);
      for (const i of [0, 1]) await api(current.url, "POST", "/v1/jobs", spec(`wait-${i}`, 0.5, 1));
      await until(
        current.url,
        (js) => js.filter((j) => j.state === "Pending" && j.reason).length === 2,
        10_000,
      );

      current.child.kill("SIGKILL");
      await new Promise((r) => current!.child.once("exit", r));
      current = await up(data, engine.name, engine.env);
      // The recovery report is printed after "listening": wait for it rather than race it.
      for (
        const deadline = Date.now() + 15_000;
        !/recovered: /.test(current.output()) && Date.now() < deadline;
      )
        await new Promise((r) => setTimeout(r, 100));
      expect(current.output()).toMatch(/recovered: 3 adopted/);

      const final = await until(
        current.url,
        (js) => js.every((j) => ["Succeeded", "Failed", "Cancelled"].includes(j.state)),
        60_000,
      );
      expect(final).toHaveLength(5);
      for (const j of final) {
        expect(j.state, `${j.name}: ${j.reason}`).toBe("Succeeded");
        expect(j.attempts, j.name).toBe(1);
      }
      // Each job ran once: its archived log has one start and one "done".
      for (const j of final) {
        const res = await fetch(`${current.url}/v1/jobs/${j.id}/logs`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const lines = (await res.text())
          .split("\n")
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { text: string }).text);
        expect(lines, j.name).toEqual([`start ${j.name} attempt 1`, "done"]);
      }
      // No duplicate and no orphan: once the logs are archived, no container of this instance is left.
      const db = new Database(join(data, "gpupool.db"), { readonly: true });
      const instance = (
        db.prepare("SELECT value FROM meta WHERE key = 'instance_id'").get() as { value: string }
      ).value;
      db.close();
      const socket = /^engine: \S+ \S+ \((?:env|socket|spawned) (\S+)\)/m.exec(current.output())?.[1];
      expect(socket, current.output()).toBeDefined();
      const lister = opts.lister(socket!);
      try {
        const deadline = Date.now() + 10_000;
        let left = await lister.list({ [LABELS.instance]: instance });
        while (left.length > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          left = await lister.list({ [LABELS.instance]: instance });
        }
        expect(left.map((c) => `${c.name} ${c.status}`)).toEqual([]);
      } finally {
        await lister.close();
      }
    }, 150_000);
  });
}
