import { afterEach, describe, expect, it } from "vitest";
import type { JobView } from "../api/schemas.js";
import { type TestServer, testJob, testServer } from "./test-support/server.js";

/** A gang is a workload: its members are made by its reconciler and its state follows theirs. */

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe("gangs as workloads", () => {
  it("a gang's members are its jobs (owner and rank); it succeeds with them and goes with the last one removed", async () => {
    t = await testServer({ simulate: "2xA100-80GB" });
    const jobs = await t.submit(testJob("train", { command: ["true"], gpus: 1, replicas: 2 }));
    expect(jobs.map((j) => j.name)).toEqual(["train-0", "train-1"]);
    const gang = jobs[0]!.gang!;
    expect(jobs.every((j) => j.gang === gang)).toBe(true);
    const store = t.server.store;
    expect(store.workloads.get(gang)).toMatchObject({ kind: "gang", name: "train", state: "Running" });
    expect(store.workloads.ownedJobs(gang).map((m) => m.slot)).toEqual([0, 1]);
    for (const j of jobs) await t.until(j.id, (x) => x.state === "Succeeded");
    await new Promise((r) => setTimeout(r, 50));
    expect(store.workloads.get(gang)).toMatchObject({
      state: "Succeeded",
      progress: { total: 2, succeeded: 2, failed: 0 },
    });
    for (const j of jobs) expect((await t.call("DELETE", `/v1/jobs/${j.id}`)).status).toBe(200);
    expect(store.workloads.get(gang)).toBeUndefined();
  });

  it("a replayed gang submission answers with the same members; a failed member fails the gang", async () => {
    t = await testServer({ simulate: "2xA100-80GB" });
    const spec = testJob("flaky", { command: ["sh", "-c", "exit $RANK"], gpus: 1, replicas: 2 });
    const first = await t.call("POST", "/v1/jobs", { ...spec, clientRequestId: "once" });
    const again = await t.call("POST", "/v1/jobs", { ...spec, clientRequestId: "once" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    const ids = (r: { body: { jobs: JobView[] } }) => r.body.jobs.map((j) => j.id);
    expect(ids(again)).toEqual(ids(first));
    const gang = first.body.jobs[0].gang as string;
    for (const id of ids(first)) await t.until(id, (x) => x.state === "Failed" || x.state === "Succeeded");
    await new Promise((r) => setTimeout(r, 50));
    expect(t.server.store.workloads.get(gang)?.state).toBe("Failed");
  });
});
