import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cliServer, gpupool } from "./test-support/gpupool-bin.js";

/**
 * Acceptance 7 of issue 15 (real bin/gpupool against a real server): jobs are named like docker's
 * containers. `logs NAME` and `stop PREFIX` work, an ambiguous prefix is refused with the
 * candidates, a live name cannot be taken twice, `ps` lists live jobs and `ps -a` all, and after
 * `rm` the job is gone from `ps -a` and `get`.
 */

let srv: CliServer;
beforeAll(async () => {
  srv = await cliServer(["--simulate", "1xA100-80GB"]);
}, 60_000);
afterAll(async () => {
  await srv?.close();
});

const IMAGE = "localhost/busybox:latest";
/** Runs until stopped, and ends at SIGTERM at once (PID 1 ignores an untrapped one until SIGKILL). */
const SLEEP = ["sh", "-c", "trap 'exit 143' TERM; sleep 60 & wait"];
const cli = (...args: string[]) => gpupool(args, srv.env);

interface Listed {
  id: string;
  name: string;
  state: string;
}

async function ps(...flags: string[]): Promise<Listed[]> {
  const r = await cli("ps", ...flags, "-o", "json");
  expect(r.code, r.err).toBe(0);
  return (JSON.parse(r.out) as { jobs: Listed[] }).jobs;
}

async function until(ref: string, state: string): Promise<Listed> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await cli("get", ref, "-o", "json");
    const job = (JSON.parse(r.out) as { job: Listed }).job;
    if (job.state === state) return job;
    if (Date.now() > deadline) throw new Error(`${ref} is ${job.state}, not ${state}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

describe("acceptance 7: names and id prefixes, like docker", () => {
  it("logs NAME, stop PREFIX, an ambiguous prefix refused with the candidates, rm removes the job", async () => {
    const hello = await cli(
      "run",
      "--name",
      "hello",
      "--cpu",
      "100m",
      IMAGE,
      "--",
      "sh",
      "-c",
      "echo hi from hello",
    );
    expect(hello.code, hello.err).toBe(0);
    const helloId = hello.out.trim();
    await until("hello", "Succeeded");
    const logs = await cli("logs", "hello");
    expect([logs.code, logs.out]).toEqual([0, "hi from hello\n"]);

    const sleeper = await cli("run", "--name", "sleeper", "--cpu", "100m", IMAGE, "--", ...SLEEP);
    expect(sleeper.code, sleeper.err).toBe(0);
    const sleeperId = sleeper.out.trim();
    await until(sleeperId, "Running");

    // A live job's name cannot be taken again.
    const clash = await cli("run", "--name", "sleeper", IMAGE, "--", "true");
    expect(clash.code).toBe(5);
    expect(clash.err).toMatch(/error\[GP_NAME_IN_USE\]: the name sleeper is in use by live job j-/);

    // Every id starts with "j-": ambiguous, refused with each candidate's id, name and state.
    const amb = await cli("stop", "j-");
    expect(amb.code).toBe(5);
    expect(amb.err).toMatch(/error\[GP_AMBIGUOUS_JOB_REF\]: j- is the start of several job ids: /);
    expect(amb.err).toContain(`${helloId} (hello, Succeeded)`);
    expect(amb.err).toContain(`${sleeperId} (sleeper, Running)`);
    expect((await cli("get", "sleeper", "-o", "json")).out).toContain('"state": "Running"');

    // A unique prefix of the id stops it.
    const stop = await cli("stop", sleeperId.slice(0, -3));
    expect([stop.code, stop.out]).toEqual([0, `${sleeperId} Cancelled (exit 143)\n`]);

    // ps: live jobs only; ps -a: all of them.
    const [other] = (await cli("run", "--name", "other", "--cpu", "100m", IMAGE, "--", ...SLEEP)).out.split(
      "\n",
    );
    expect((await ps()).map((j) => j.name)).toEqual(["other"]);
    expect((await ps("-a")).map((j) => j.name)).toEqual(["hello", "sleeper", "other"]);

    // rm: a live job is refused without -f; a finished one is deleted and gone from ps -a and get.
    const live = await cli("rm", "other");
    expect(live.code).toBe(5);
    expect(live.err).toMatch(
      /error\[GP_JOB_NOT_FINISHED\]: other: j-\S+ \(other, (Running|Starting|Pending)\)/,
    );
    const rm = await cli("rm", "hello", sleeperId);
    expect([rm.code, rm.out]).toEqual([0, `${helloId} removed\n${sleeperId} removed\n`]);
    const forced = await cli("rm", "-f", "other");
    expect([forced.code, forced.out]).toEqual([0, `${other} removed\n`]);
    expect(await ps("-a")).toEqual([]);
    for (const ref of [helloId, "hello", "sleeper"]) {
      const gone = await cli("get", ref);
      expect(gone.code, ref).toBe(3);
      expect(gone.err).toMatch(/error\[GP_JOB_NOT_FOUND\]/);
    }
    const noLogs = await cli("logs", helloId);
    expect(noLogs.code).toBe(3);
  }, 90_000);

  it("a gang's name stops all its members; a member's name is that member", async () => {
    const run = await cli("run", "--name", "pair", "--replicas", "2", "--cpu", "100m", IMAGE, "--", ...SLEEP);
    expect(run.code, run.err).toBe(0);
    const [rank0, rank1] = run.out.trim().split("\n");
    const one = await cli("get", "pair-1", "-o", "json");
    expect((JSON.parse(one.out) as { job: Listed }).job.id).toBe(rank1);
    const both = await cli("get", "pair", "-o", "json");
    expect((JSON.parse(both.out) as { jobs: Listed[] }).jobs.map((j) => j.id)).toEqual([rank0, rank1]);
    // Running, so their shells have set the trap that ends them at SIGTERM.
    for (const id of [rank0!, rank1!]) await until(id, "Running");
    const stop = await cli("stop", "pair");
    expect(stop.code, stop.err).toBe(0);
    // stopped together: each line as its member ends, in either order
    expect(stop.out.trim().split("\n").sort()).toEqual(
      [`${rank0} Cancelled (exit 143)`, `${rank1} Cancelled (exit 143)`].sort(),
    );
    const rm = await cli("rm", "pair");
    expect([rm.code, rm.out]).toEqual([0, `${rank0} removed\n${rank1} removed\n`]);
    expect(await ps("-a")).toEqual([]);
  }, 60_000);
});
