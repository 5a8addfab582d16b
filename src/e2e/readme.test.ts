import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { DEFAULT_TRACE_DIR } from "../sim/cli.js";
import { type CliServer, cliServer } from "./test-support/gpupool-bin.js";

/**
 * The README's commands run as written: every line of a fenced code block that runs `./bin/gpupool`
 * (after optional VAR=value assignments) is executed with bash, in order, from the repository root,
 * against a real `gpupool up` on real Podman, and must exit 0. Placeholders are filled from what the
 * earlier commands printed: <team-a token> (tenants create), <job> (the last job id printed, else the newest in `ps -a`), and
 * <nodes.csv>/<pods.csv> (the trace, see docs/scheduling.md).
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the README commands test: ${why}`);

/** The lines of fenced code blocks that run ./bin/gpupool, in document order. */
function readmeCommands(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) {
      fenced = !fenced;
      continue;
    }
    if (fenced && /^(\w+=\S+\s+)*\.\/bin\/gpupool\s/.test(line)) out.push(line);
  }
  return out;
}

function bash(line: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", `set -e; ${line}`], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("readmeCommands", () => {
  it("finds the ./bin/gpupool lines of fenced blocks only, with their env prefixes", () => {
    const md = [
      "./bin/gpupool ps",
      "```sh",
      "npm ci",
      "A=1 ./bin/gpupool ps -a # all",
      "```",
      "./bin/gpupool x",
    ].join("\n");
    expect(readmeCommands(md)).toEqual(["A=1 ./bin/gpupool ps -a # all"]);
  });
});

let srv: CliServer;
beforeAll(async () => {
  if (!why) srv = await cliServer(["--engine", "podman", "--simulate", "2xA100-80GB"]);
}, 120_000);
afterAll(async () => {
  await srv?.close();
});

describe.skipIf(why)("README", () => {
  it("every ./bin/gpupool command in README.md runs as written and exits 0", async () => {
    const lines = readmeCommands(readFileSync(join(ROOT, "README.md"), "utf8"));
    expect(lines.length).toBeGreaterThan(8);
    const trace = join(ROOT, DEFAULT_TRACE_DIR);
    const filled: Record<string, string> = {
      "<nodes.csv>": join(trace, "openb_node_list_gpu_node.csv"),
      "<pods.csv>": join(trace, "openb_pod_list_default.csv"),
    };
    for (const line of lines) {
      if (line.includes("<job>") && !filled["<job>"]) {
        // what a reader does: take a job id from ps
        const ps = await bash("./bin/gpupool ps -a -o json", srv.env);
        filled["<job>"] = (JSON.parse(ps.out) as { jobs: { id: string }[] }).jobs.at(-1)?.id ?? "";
      }
      let cmd = line;
      for (const [k, v] of Object.entries(filled)) cmd = cmd.split(k).join(v);
      const left = /<[^>]+>/.exec(cmd.replace(/#.*$/, ""));
      expect(left, `${line}: no value for the placeholder ${left?.[0]}`).toBeNull();
      const r = await bash(cmd, srv.env);
      expect(r.code, `${cmd}\n${r.out}`).toBe(0);
      const token = /\b(gp_[A-Za-z0-9_-]{20,})\b/.exec(r.out)?.[1];
      if (/tenants create team-a/.test(line) && token) filled["<team-a token>"] = token;
      const job = [...r.out.matchAll(/\b(j-[a-z0-9]{10,})\b/g)].at(-1)?.[1];
      if (job) filled["<job>"] = job;
    }
  }, 300_000);
});
