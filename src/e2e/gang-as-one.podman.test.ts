import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { type CliServer, cliServer, gpupool } from "./test-support/gpupool-bin.js";

/**
 * A gang is one thing (real bin/gpupool, real Podman, busybox): when rank 1 exits 1, ranks 0 and 2
 * are stopped and the gang fails; `run --wait` and `logs` show every member's lines, prefixed.
 */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the gang CLI test on Podman: ${why}`);

let srv: CliServer;
beforeAll(async () => {
  if (!why) srv = await cliServer(["--engine", "podman", "--simulate", "3xA100-80GB"]);
}, 120_000);
afterAll(async () => {
  await srv?.close();
});

const SCRIPT = [
  'echo "hello from rank $RANK";',
  'if [ "$RANK" = 1 ]; then sleep 2; echo "rank 1 fails"; exit 1; fi;',
  "trap 'echo \"rank $RANK stopped\"; exit 143' TERM;",
  "sleep 120 & wait",
].join(" ");

describe.skipIf(why)("gangs as one thing", () => {
  it("acceptance 5: rank 1 exits 1 → ranks 0 and 2 stopped, the gang Failed, every member's lines prefixed", async () => {
    const run = await gpupool(
      [
        "run",
        "--wait",
        "--name",
        "trio",
        "--replicas",
        "3",
        "--gpus",
        "1",
        "localhost/busybox:latest",
        "--",
        "sh",
        "-c",
        SCRIPT,
      ],
      srv.env,
      { timeoutMs: 90_000 },
    );
    expect(run.code, run.err).toBe(1); // the first failure's exit code, not the stopped members' 143
    for (const rank of [0, 1, 2]) expect(run.out).toContain(`[rank ${rank}] hello from rank ${rank}`);
    expect(run.out).toContain("[rank 1] rank 1 fails");
    expect(run.out).toContain("[rank 0] rank 0 stopped");
    expect(run.out).toContain("[rank 2] rank 2 stopped");

    const get = await gpupool(["get", "trio", "-o", "json"], srv.env);
    const jobs = (JSON.parse(get.out) as { jobs: { rank: number; state: string; reason: string }[] }).jobs;
    expect(jobs.map((j) => j.state)).toEqual(["Failed", "Failed", "Failed"]);
    expect(jobs.find((j) => j.rank === 0)?.reason).toBe("gang member trio-1 failed (exit code 1)");

    const logs = await gpupool(["logs", "trio"], srv.env);
    expect(logs.code, logs.err).toBe(0);
    const lines = logs.out.trim().split("\n");
    for (const rank of [0, 1, 2]) expect(lines).toContain(`[rank ${rank}] hello from rank ${rank}`);
    const one = await gpupool(["logs", "trio", "--rank", "1"], srv.env);
    expect(one.out).toBe("hello from rank 1\nrank 1 fails\n");
  }, 120_000);
});
