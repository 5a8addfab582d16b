import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arraysCommand,
  parseArrayFlag,
  progressBar,
  progressText,
  waitForArray,
} from "../cli/client/arrays.js";
import { client } from "../cli/client/common.js";
import { getCommand, psCommand } from "../cli/client/job-views.js";
import { rmCommand, runCommand, specFromFlags, stopCommand } from "../cli/client/jobs.js";
import { isGpupoolError } from "../core/errors.js";
import { type TestServer, testServer } from "../server/test-support/server.js";
import { adminFlags, capture } from "./test-support/cli-io.js";

/** Batch arrays from the CLI against a real server on loopback (fake engine). */

const progress = (succeeded: number, failed: number, running: number, total: number) => ({
  progress: { total, succeeded, failed, running, pending: total - succeeded - failed - running },
});

describe("array flags and progress", () => {
  it("--array INDEXES%N: the indexes and the tasks at once; --pack needs --array", () => {
    expect(parseArrayFlag("0-999%8")).toEqual({ indexes: "0-999", parallelism: 8 });
    expect(parseArrayFlag("1,3,5-9")).toEqual({ indexes: "1,3,5-9" });
    for (const bad of ["0-9%", "0-9%0", "0-9%x"])
      expect(() => parseArrayFlag(bad)).toThrow(/after % comes the most tasks at once/);
    expect(
      specFromFlags("localhost/busybox:latest", [], { name: "a", array: "0-9%2", pack: "5" }).array,
    ).toEqual({
      indexes: "0-9",
      parallelism: 2,
      pack: 5,
    });
    try {
      specFromFlags("localhost/busybox:latest", [], { name: "a", pack: "5" });
      expect.unreachable();
    } catch (err) {
      expect(isGpupoolError(err) && err.code).toBe("GP_INVALID_ARGUMENT");
    }
  });

  it("draws done, failed, running and pending in proportion", () => {
    expect(progressBar(progress(5, 1, 2, 10), 10)).toBe("[#####!>>..]");
    expect(progressBar(progress(0, 0, 0, 10), 10)).toBe("[..........]");
    expect(progressBar(progress(10, 0, 0, 10), 10)).toBe("[##########]");
    expect(progressBar(progress(1, 2, 0, 3), 10)).toBe("[###!!!!!!!]");
    expect(progressText(progress(412, 2, 8, 1000))).toBe("412/1000 done, 8 running, 2 failed, 578 pending");
  });
});

describe("arrays over HTTP", () => {
  let t: TestServer;
  let flags: { server: string; token: string; config: string };
  let cleanup = async () => {};
  beforeAll(async () => {
    t = await testServer({ simulate: "2xA100-80GB" });
    ({ flags, cleanup } = await adminFlags(t.server.url));
  });
  afterAll(async () => {
    await t?.close();
    await cleanup();
  });

  it("run --array --wait shows progress and exits 0; one failing index makes it exit 1", async () => {
    const io = capture();
    const ok = await runCommand(
      "localhost/busybox:latest",
      ["sh", "-c", "echo $GPUPOOL_ARRAY_INDEX"],
      { ...flags, name: "ok", array: "0-19%4", gpu: "0.25", wait: true },
      io,
    );
    expect(ok).toBe(0);
    expect(io.stderr()).toMatch(/array a-\S+ \(ok\): 20 tasks, 4 at once/);
    expect(io.stderr()).toMatch(/ok \[#{30}\] 20\/20 done, 0 running, 0 failed, 0 pending/);
    expect(io.stderr()).toMatch(/array a-\S+ Succeeded\n$/);

    const bad = capture();
    const code = await runCommand(
      "localhost/busybox:latest",
      ["sh", "-c", "exit $GPUPOOL_ARRAY_INDEX"],
      { ...flags, name: "bad", array: "0-2", wait: true },
      bad,
    );
    expect(code).toBe(1);
    expect(bad.stderr()).toMatch(/array a-\S+ Failed: 2 of 3 indexes failed/);

    const listed = capture();
    await arraysCommand({ ...flags, all: true }, listed);
    expect(listed.stdout()).toMatch(/ok\s+Succeeded\s+\[#{20}\] 20\/20 done/);
    expect(listed.stdout()).toMatch(/bad\s+Failed\s+\[#+!+\] 1\/3 done, 0 running, 2 failed/);
    const got = capture();
    await getCommand("bad", { ...flags, output: "json" }, got);
    expect(JSON.parse(got.stdout()).array).toMatchObject({ name: "bad", state: "Failed", tasks: 3 });
    const removed = capture();
    await rmCommand(["ok", "bad"], flags, removed);
    expect(removed.stdout()).toMatch(
      /a-\S+ removed \(with its 20 tasks\)\na-\S+ removed \(with its 3 tasks\)\n/,
    );
  }, 60_000);

  it("ps ends with the running arrays; stop NAME stops the array; Ctrl-C during --wait stops it, exit 130", async () => {
    const io = capture();
    expect(
      await runCommand(
        "localhost/busybox:latest",
        ["sh", "-c", "sleep 60"],
        { ...flags, name: "long", array: "0-9%2", gpu: "0.25", detach: true },
        io,
      ),
    ).toBe(0);
    expect(io.stdout()).toMatch(/^a-\S+\n$/);
    const ps = capture();
    await psCommand(flags, ps);
    expect(ps.stdout()).toMatch(/long-0/);
    expect(ps.stdout()).toMatch(/\nID\s+NAME\s+STATE\s+PROGRESS[\s\S]*long\s+Running/);
    const stopped = capture();
    expect(await stopCommand(["long"], { ...flags, time: "0" }, stopped)).toBe(0);
    expect(stopped.stdout()).toMatch(/a-\S+ Cancelled \(0\/10 done, 0 running, 2 failed, 8 pending\)/);

    // Ctrl-C: the array is stopped and the wait ends 130.
    const r = await client(flags).json((await import("../api/schemas.js")).jobsResponse, "POST", "/v1/jobs", {
      name: "sigint",
      image: "localhost/busybox:latest",
      command: ["sh", "-c", "sleep 60"],
      stopGraceSeconds: 0,
      array: { indexes: "0-3" },
    });
    let fire: () => void = () => {};
    const waiting = capture();
    const done = waitForArray(client(flags), r.array!, waiting, {
      interrupts: (h) => {
        fire = h;
        return () => {};
      },
      tty: false,
      intervalMs: 50,
    });
    await new Promise((res) => setTimeout(res, 200));
    fire();
    expect(await done).toBe(130);
    expect(waiting.stderr()).toMatch(/stopping array a-\S+ \(Ctrl-C again to detach\)/);
    expect(waiting.stderr()).toMatch(/array a-\S+ Cancelled/);
  }, 60_000);
});
