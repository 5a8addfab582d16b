import { afterEach, describe, expect, it } from "vitest";
import type { ContainerSpec } from "../engines/engine.js";
import { FakeEngine } from "../engines/fake.js";
import { ADMIN, type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * Batch arrays on the fake engine, at scale (the real engines run them in the e2e and kill -9
 * suites). The engine below runs the fake shell, except that chosen indexes fail: FAIL always
 * (exit 3), FLAKY on their first attempt only.
 */
const FAIL = new Set([7, 500]);
const FLAKY = new Set([13, 999]);

class ArrayEngine extends FakeEngine {
  /** Every container made: its index and attempt, and what it exited with. */
  readonly runs: { index: number; attempt: number }[] = [];
  maxLive = 0;

  override async create(spec: ContainerSpec): Promise<string> {
    const index = Number(spec.env?.GPUPOOL_ARRAY_INDEX);
    const attempt = Number(spec.env?.GPUPOOL_ATTEMPT);
    this.runs.push({ index, attempt });
    const fails = FAIL.has(index) || (FLAKY.has(index) && attempt === 1);
    return super.create(fails ? { ...spec, command: ["sh", "-c", "echo failing; exit 3"] } : spec);
  }

  override async start(id: string): Promise<void> {
    await super.start(id);
    const running = (await this.list({})).filter((c) => c.status === "running").length;
    this.maxLive = Math.max(this.maxLive, running);
  }
}

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function untilEnded(s: TestServer, id: string, ms: number) {
  const end = Date.now() + ms;
  for (;;) {
    const a = (await s.call("GET", `/v1/arrays/${id}`)).body.array;
    if (a.state !== "Running") return a;
    if (Date.now() > end) throw new Error(`array still running: ${JSON.stringify(a.progress)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("batch arrays", () => {
  it("1,000 tasks, 8 at a time on 2 GPUs (0.25 each): every index runs to success once; one failing twice is failed", async () => {
    const engine = new ArrayEngine();
    t = await testServer({ simulate: "2xA100-80GB", engineInstance: engine });
    const r = await t.call("POST", "/v1/jobs", {
      ...testJob("frames", { gpu: 0.25 }),
      command: ["sh", "-c", "sleep 0.03; echo index $GPUPOOL_ARRAY_INDEX of $GPUPOOL_ARRAY_INDEXES"],
      restartPolicy: "OnFailure",
      backoffLimit: 1,
      backoffSeconds: 0,
      array: { indexes: "0-999", parallelism: 8 },
    });
    expect(r.status).toBe(201);
    // Live tasks (pending or placed) never exceed the parallelism, checked at every change of one.
    let maxLiveTasks = 0;
    const store = t.server.store;
    const off = store.changes.subscribe((c) => {
      if (c.kind !== "job" || c.owner === null) return;
      const live = store.workloads
        .ownedJobs(c.owner)
        .filter((j) => !["Succeeded", "Failed", "Cancelled"].includes(j.state));
      maxLiveTasks = Math.max(maxLiveTasks, live.length);
    });
    expect(r.body.array).toMatchObject({ name: "frames", state: "Running", tasks: 1000, parallelism: 8 });
    // The first 8 tasks are made with the array, in the same transaction.
    expect(r.body.jobs.map((j: { name: string }) => j.name)).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `frames-${i}`),
    );
    const a = await untilEnded(t, r.body.array.id, 240_000);
    off();
    expect(maxLiveTasks).toBe(8);

    expect(a.state).toBe("Failed");
    expect(a.progress).toEqual({ total: 1000, succeeded: 998, failed: 2, running: 0, pending: 0 });
    expect(a.reason).toBe("2 of 1000 indexes failed");
    // Containers running at once: never more than 8 quarter-GPUs (both GPUs full), and that many at times.
    expect(engine.maxLive).toBeLessThanOrEqual(8);
    expect(engine.maxLive).toBe(8);
    // One job per index, ever; containers: one per index, two for a failing or flaky one.
    const jobs = t.server.store.jobs.list({ owner: a.id });
    expect(jobs).toHaveLength(1000);
    const byIndex = new Map(jobs.map((j) => [j.spec.arrayIndexes![0]!, j]));
    expect([...byIndex.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (const [i, j] of byIndex) {
      const twice = FAIL.has(i) || FLAKY.has(i);
      expect({ i, state: j.state, attempts: j.attempts }).toEqual({
        i,
        state: FAIL.has(i) ? "Failed" : "Succeeded",
        attempts: twice ? 2 : 1,
      });
    }
    const runs = new Map<number, number[]>();
    for (const run of engine.runs) runs.set(run.index, [...(runs.get(run.index) ?? []), run.attempt]);
    for (let i = 0; i < 1000; i++)
      expect([i, runs.get(i)]).toEqual([i, FAIL.has(i) || FLAKY.has(i) ? [1, 2] : [1]]);
    // Each task saw its index (Kubernetes' name too) in its environment.
    expect(await t.logs(byIndex.get(42)!.id)).toBe("index 42 of 42");
  }, 300_000);

  it("packs: pack 50 runs 1,000 indexes in 20 containers, each given its 50 indexes", async () => {
    const engine = new ArrayEngine();
    t = await testServer({ simulate: "2xA100-80GB", engineInstance: engine });
    const r = await t.call("POST", "/v1/jobs", {
      ...testJob("packed", { gpu: 0.25 }),
      command: ["sh", "-c", "echo $GPUPOOL_ARRAY_INDEXES"],
      array: { indexes: "1000-1999", parallelism: 8, pack: 50 },
    });
    expect(r.status).toBe(201);
    const a = await untilEnded(t, r.body.array.id, 60_000);
    expect(a).toMatchObject({ state: "Succeeded", tasks: 20 });
    expect(a.progress).toEqual({ total: 1000, succeeded: 1000, failed: 0, running: 0, pending: 0 });
    expect(engine.runs).toHaveLength(20);
    const jobs = t.server.store.jobs.list({ owner: a.id });
    const third = jobs.find((j) => j.name === "packed-1100")!;
    const want = Array.from({ length: 50 }, (_, i) => 1100 + i).join(" ");
    expect(await t.logs(third.id)).toBe(want);
  }, 120_000);

  it("stop cancels what is pending, makes no more tasks, and ends Cancelled", async () => {
    t = await testServer({ simulate: "1xA100-80GB" });
    const r = await t.call("POST", "/v1/jobs", {
      ...testJob("slow", { gpu: 0.5 }),
      command: ["sh", "-c", "sleep 60"],
      stopGraceSeconds: 0,
      array: { indexes: "0-99", parallelism: 4 },
    });
    const id = r.body.array.id;
    await t.until(r.body.jobs[0].id, (j) => j.state === "Running");
    const stopped = await t.call("POST", `/v1/arrays/${id}/stop`, {});
    expect(stopped.status).toBe(200);
    expect(stopped.body.array.state).toBe("Cancelled");
    await t.server.agent.settle();
    const jobs = t.server.store.jobs.list({ owner: id });
    expect(jobs).toHaveLength(4);
    expect(jobs.every((j) => j.state === "Cancelled")).toBe(true);
    const after = (await t.call("GET", `/v1/arrays/${id}`)).body.array;
    // The 4 tasks it made were cancelled (counted failed: they did not succeed); 96 were never made.
    expect(after.progress).toEqual({ total: 100, failed: 4, succeeded: 0, running: 0, pending: 96 });
    // Ended: rm deletes it with its tasks.
    const rm = await t.call("DELETE", `/v1/arrays/${id}`);
    expect(rm.status).toBe(200);
    expect(t.server.store.jobs.list({ owner: id })).toHaveLength(0);
    expect((await t.call("GET", `/v1/arrays/${id}`)).status).toBe(404);
  }, 60_000);

  it("quotas apply to an array's tasks: a 0.5-GPU limit runs two 0.25 tasks at a time, the others wait with the reason", async () => {
    t = await testServer({ simulate: "2xA100-80GB" });
    const token = await t.tenant("capped", { gpuMilli: 500, activeJobs: 3 });
    let maxRunning = 0;
    const store = t.server.store;
    const off = store.changes.subscribe((c) => {
      if (c.kind !== "job" || c.owner === null) return;
      maxRunning = Math.max(
        maxRunning,
        store.workloads.ownedJobs(c.owner).filter((j) => j.state === "Running").length,
      );
    });
    const r = await t.call(
      "POST",
      "/v1/jobs",
      {
        ...testJob("capped", { gpu: 0.25 }),
        command: ["sh", "-c", "sleep 0.3"],
        array: { indexes: "0-7", parallelism: 8 },
      },
      token,
    );
    expect(r.status).toBe(201);
    // activeJobs 3: only 3 of the 8 are made; the third waits on the GPU limit, saying so.
    expect(r.body.jobs).toHaveLength(3);
    expect(r.body.array.reason).toBe("5 task(s) wait for room under tenant capped's activeJobs quota (3)");
    const third = await t.until(
      r.body.jobs[2].id,
      (j) => j.state === "Pending" && j.reason !== null,
      5000,
      token,
    );
    expect(third.reason).toMatch(/quota|limit/i);
    const a = await untilEnded(t, r.body.array.id, 30_000);
    off();
    expect(a.state).toBe("Succeeded");
    expect(maxRunning).toBe(2);
  }, 60_000);

  it("a submission replayed with its Idempotency-Key answers 200 with the same array; another spec under it is a conflict", async () => {
    t = await testServer();
    const spec = {
      ...testJob("once"),
      command: ["sh", "-c", "sleep 30"],
      array: { indexes: "0-9", parallelism: 2 },
    };
    const headers = { authorization: "Bearer gp_test-admin-token-0123456789", "idempotency-key": "req-1" };
    const post = (body: object) =>
      t!.server.app.inject({ method: "POST", url: "/v1/jobs", headers, payload: body });
    const first = await post(spec);
    const again = await post(spec);
    expect([first.statusCode, again.statusCode]).toEqual([201, 200]);
    expect(again.json().array.id).toBe(first.json().array.id);
    expect(t.server.store.workloads.list()).toHaveLength(1);
    const other = await post({ ...spec, command: ["true"] });
    expect([other.statusCode, other.json().code]).toEqual([409, "GP_IDEMPOTENCY_CONFLICT"]);
  });

  it("refuses bad arrays with GP_INVALID_SPEC naming the field; another tenant's array is not found", async () => {
    t = await testServer();
    for (const [array, path] of [
      [{ indexes: "5-1" }, "spec.array.indexes"],
      [{ indexes: "0-9", parallelism: 0 }, "spec.array.parallelism"],
      [{ indexes: "0-9", pack: 0 }, "spec.array.pack"],
      [{ indexes: "0-9", extra: 1 }, "spec.array"],
    ] as const) {
      const r = await t.call("POST", "/v1/jobs", { ...testJob("bad"), array });
      expect([r.status, r.body.code, r.body.message]).toEqual([
        400,
        "GP_INVALID_SPEC",
        expect.stringContaining(path),
      ]);
    }
    const gang = await t.call("POST", "/v1/jobs", {
      ...testJob("bad"),
      replicas: 2,
      array: { indexes: "0-1" },
    });
    expect(gang.body.message).toMatch(/leave out replicas/);
    const other = await t.tenant("other");
    const mine = await t.call("POST", "/v1/jobs", { ...testJob("mine"), array: { indexes: "0-1" } });
    expect((await t.call("GET", `/v1/arrays/${mine.body.array.id}`, undefined, other)).status).toBe(404);
    expect((await t.call("GET", "/v1/arrays", undefined, other)).body.arrays).toEqual([]);
    expect((await t.call("GET", "/v1/arrays", undefined, ADMIN)).body.arrays).toHaveLength(1);
    // The array's name is taken while it runs.
    const again = await t.call("POST", "/v1/jobs", testJob("mine"));
    expect([again.status, again.body.code]).toEqual([409, "GP_NAME_IN_USE"]);
  });
});
