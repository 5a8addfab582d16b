import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import type { JobView } from "./job-view.js";

/**
 * Acceptance 4: `kill -9` of `gpupool up` (the real binary, real Podman) with 3 jobs running and 2
 * pending, then a restart: all 5 succeed, each ran exactly once, and Podman holds exactly one
 * container per job (no duplicate, no orphan).
 */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the kill -9 test: ${why}`);

const ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "gp_kill9-test-admin-token-abcdef";

/** Builds dist/ when it is older than the sources this test runs through the binary. */
function ensureBuilt(): void {
  const out = join(ROOT, "dist/server/up.js");
  const newest = ["src/server/up.ts", "src/agent/controller.ts", "src/agent/recover.ts", "src/server/app.ts"]
    .map((f) => statSync(join(ROOT, f)).mtimeMs)
    .reduce((a, b) => Math.max(a, b));
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return;
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
}

interface Up {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

async function up(data: string): Promise<Up> {
  const child = spawn(
    process.execPath,
    [join(ROOT, "bin/gpupool"), "up", "--engine", "podman", "--simulate", "1xA100-80GB", "--data", data, "--listen", "127.0.0.1:0"],
    { env: { ...process.env, GPUPOOL_ADMIN_TOKEN: TOKEN }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return { child, url: m[1]!, output: () => out };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`gpupool up did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
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
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(js.map((j) => [j.name, j.state, j.reason]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function podmanContainers(): { id: string; name: string; job: string; instance: string }[] {
  const text = execFileSync(
    "podman",
    ["ps", "-a", "--filter", "label=io.gpupool.managed=true", "--format", '{{.ID}} {{.Names}} {{index .Labels "io.gpupool.job"}} {{index .Labels "io.gpupool.instance"}}'],
    { encoding: "utf8" },
  );
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" "))
    .map((f) => ({ id: f[0]!, name: f[1]!, job: f[2]!, instance: f[3]! }));
}

describe.skipIf(why !== undefined)("kill -9 and restart (real Podman)", () => {
  let data = "";
  let current: Up | undefined;
  beforeAll(async () => {
    ensureBuilt();
    data = await mkdtemp(join(tmpdir(), "gp-kill9-"));
  }, 180_000);
  afterAll(async () => {
    if (current) {
      for (const j of await jobs(current.url).catch(() => [])) await api(current.url, "DELETE", `/v1/jobs/${j.id}`).catch(() => {});
      current.child.kill("SIGTERM");
      await new Promise((r) => current!.child.once("exit", r));
    }
    if (data) await rm(data, { recursive: true, force: true });
  }, 120_000);

  it("acceptance 4: 3 running + 2 pending survive kill -9; all 5 succeed once; no duplicate or orphan container", async () => {
    current = await up(data);
    const spec = (name: string, gpu: number, sleep: number) => ({
      name,
      image: "localhost/busybox:latest",
      cpu: "100m",
      memory: "64Mi",
      gpu,
      command: ["sh", "-c", `echo start $GPUPOOL_JOB_NAME attempt $GPUPOOL_ATTEMPT; sleep ${sleep}; echo done`],
    });
    for (const i of [0, 1, 2]) await api(current.url, "POST", "/v1/jobs", spec(`run-${i}`, 0.25, 6));
    await until(current.url, (js) => js.filter((j) => j.state === "Running").length === 3, 30_000);
    for (const i of [0, 1]) await api(current.url, "POST", "/v1/jobs", spec(`wait-${i}`, 0.5, 1));
    await until(current.url, (js) => js.filter((j) => j.state === "Pending" && j.reason).length === 2, 10_000);

    current.child.kill("SIGKILL");
    await new Promise((r) => current!.child.once("exit", r));
    current = await up(data);
    expect(current.output()).toMatch(/recovered: 3 adopted/);

    const final = await until(current.url, (js) => js.every((j) => ["Succeeded", "Failed", "Cancelled"].includes(j.state)), 60_000);
    expect(final).toHaveLength(5);
    for (const j of final) {
      expect(j.state, `${j.name}: ${j.reason}`).toBe("Succeeded");
      expect(j.attempts, j.name).toBe(1);
    }
    // Exactly one container per job, the one the job records; nothing else carries this instance's label.
    const instance = podmanContainers().find((c) => c.job === final[0]!.id)?.instance;
    expect(instance).toBeDefined();
    const ours = podmanContainers().filter((c) => c.instance === instance);
    expect(ours.map((c) => c.job).sort()).toEqual(final.map((j) => j.id).sort());
    for (const j of final) expect(ours.find((c) => c.job === j.id)!.id).toBe(j.containerId!.slice(0, 12));
  }, 150_000);
});
