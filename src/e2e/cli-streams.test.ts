import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { type CliServer, cliServer, gpupool, cliOk, cliUntil } from "./test-support/gpupool-bin.js";

/**
 * Issue 15's "one output convention", the parts that run over time or touch the user's setup
 * (real bin/gpupool against a real server): logs --tail/--since, events -f, ps --watch (both end
 * at Ctrl-C with 130), run --wait's 125 for a container that never ran, login writing the config
 * file, and the completion scripts.
 */

let srv: CliServer;
let dir: string;
const IMAGE = "localhost/busybox:latest";
const cli = (...args: string[]) => gpupool(args, srv.env);

const ok = (...args: string[]) => cliOk(srv, ...args);
const until = (ref: string, state: string) => cliUntil(srv, ref, state);

beforeAll(async () => {
  srv = await cliServer(["--simulate", "1xA100-80GB"]);
  dir = await mkdtemp(join(tmpdir(), "gp-streams-"));
}, 60_000);
afterAll(async () => {
  await srv?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("logs --tail and --since", () => {
  it("picks the last lines, and the lines since a time, of a finished and of a followed job", async () => {
    await ok("run", "--name", "three", IMAGE, "--", "sh", "-c", "echo 1; echo 2; echo 3");
    await until("three", "Succeeded");
    expect(await ok("logs", "--tail", "2", "three")).toBe("2\n3\n");
    expect(await ok("logs", "--tail", "all", "three")).toBe("1\n2\n3\n");
    expect(await ok("logs", "--since", "1h", "three")).toBe("1\n2\n3\n");
    expect(await ok("logs", "--since", "2099-01-01T00:00:00Z", "three")).toBe("");
    expect(await ok("logs", "--since", "1h", "--tail", "1", "three")).toBe("3\n");

    await ok("run", "--name", "later", IMAGE, "--", "sh", "-c", "echo a; echo b; sleep 4; echo c");
    await until("later", "Running");
    // The last line there is now, then the new ones until the job ends.
    expect(await ok("logs", "-f", "--tail", "1", "later")).toBe("b\nc\n");

    const bad = await cli("logs", "--since", "yesterday", "three");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/error\[GP_INVALID_ARGUMENT\]: --since must be a duration like 10m/);
  });
});

describe("following, until Ctrl-C (exit 130)", () => {
  it("events -f -o json prints each new event as one JSON line", async () => {
    let jobId = "";
    let seen = "";
    let follower: ChildProcess | undefined;
    const stopIfDone = () => {
      if (jobId !== "" && /"to":"Succeeded"/.test(seen.split(`"jobId":"${jobId}"`).slice(1).join("")))
        follower?.kill("SIGINT");
    };
    // Submitted once the follower has had time to print what there was: its events come after.
    const submit = setTimeout(() => {
      void ok("run", "--name", "followed", IMAGE, "--", "true").then((id) => {
        jobId = id.trim();
        stopIfDone();
      });
    }, 2000);
    const r = await gpupool(["events", "-f", "-o", "json"], srv.env, {
      timeoutMs: 30_000,
      onOut: (out, child) => {
        seen = out;
        follower = child;
        stopIfDone();
      },
    });
    clearTimeout(submit);
    expect(r.code, r.err).toBe(130);
    const events = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { jobId: string; to: string | null; seq: number });
    const mine = events.filter((e) => e.jobId === jobId).map((e) => e.to);
    expect(mine).toEqual(["Pending", "Scheduled", "Starting", "Running", "Succeeded"]);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("events -f JOB prints a table's header once, then rows as they come", async () => {
    await ok("run", "--name", "tabled", IMAGE, "--", "sh", "-c", "trap 'exit 143' TERM; sleep 3600 & wait");
    await until("tabled", "Running");
    let stopping = false;
    const r = await gpupool(["events", "-f", "tabled"], srv.env, {
      timeoutMs: 30_000,
      onOut: (out, child) => {
        if (!stopping && out.includes("Running")) {
          stopping = true;
          void cli("stop", "-t", "0", "tabled");
        }
        if (/Cancelled/.test(out)) child.kill("SIGINT");
      },
    });
    expect(r.code, r.err).toBe(130);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^TIME\s+JOB\s+TYPE\s+FROM\s+TO\s+REASON$/);
    expect(lines.filter((l) => l.startsWith("TIME"))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+j-\w+\s+transition\s+\w+\s+Cancelled/);
    // Rows printed later line up under the header.
    const typeAt = lines[0]!.indexOf("TYPE");
    for (const l of lines.slice(1))
      expect(l.slice(typeAt).split(/\s/)[0], l).toMatch(/^(submitted|transition|\w+)$/);
  });

  it("ps --watch -o yaml prints the list again when it changes", async () => {
    let submitted = false;
    const r = await gpupool(["ps", "--watch", "-o", "yaml"], srv.env, {
      timeoutMs: 30_000,
      onOut: (out, child) => {
        if (!submitted) {
          submitted = true;
          void ok("run", "--name", "watched", IMAGE, "--", "sh", "-c", "sleep 3");
        }
        if (out.includes("name: watched")) child.kill("SIGINT");
      },
    });
    expect(r.code, r.err).toBe(130);
    // Not a terminal: each version of the list follows the one before after a blank line.
    const docs = r.out.split(/\n(?=jobs:)/).map((d) => parseYaml(d) as { jobs: { name: string }[] });
    expect(docs.length).toBeGreaterThanOrEqual(2);
    expect(docs[0]!.jobs.map((j) => j.name)).not.toContain("watched");
    expect(docs.at(-1)!.jobs.map((j) => j.name)).toContain("watched");
  });
});

describe("exit codes and the user's setup", () => {
  it("run --wait of a job whose container never ran exits 125, like docker run", async () => {
    const r = await cli("run", "--wait", "localhost/no-such-image:latest", "--", "true");
    expect(r.code).toBe(125);
    expect(r.err).toMatch(/Failed: could not start: GP_IMAGE_NOT_FOUND/);
  });

  it("login checks the token, then writes the config file (0600) the other commands read", async () => {
    const config = join(dir, "cfg", "config.yaml");
    const { GPUPOOL_SERVER: server, GPUPOOL_TOKEN: token, ...rest } = srv.env;
    const bare = { ...rest, GPUPOOL_CONFIG: config };
    const refused = await gpupool(["login", "--server", server!, "--token", "gp_wrong"], bare);
    expect(refused.code).toBe(6);
    await expect(stat(config)).rejects.toThrow();
    const r = await gpupool(["login", "--server", server!, "--token", token!], bare);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`logged in to ${server} as tenant admin; wrote ${config}\n`);
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    expect(parseYaml(await readFile(config, "utf8"))).toEqual({ server, token });
    const ps = await gpupool(["ps", "-a", "-o", "json"], bare);
    expect(ps.code, ps.err).toBe(0);
    expect(JSON.parse(ps.out).jobs.length).toBeGreaterThan(0);
  });

  it("completion prints scripts the shells accept", async () => {
    const bash = await ok("completion", "bash");
    expect(bash).toContain("complete -o default -F _gpupool gpupool");
    execFileSync("bash", ["-n"], { input: bash });
    expect(await ok("completion", "zsh")).toMatch(/^#compdef gpupool\n/);
    expect(await ok("completion", "fish")).toContain("complete -c gpupool -n __fish_use_subcommand -a ps");
  });
});
