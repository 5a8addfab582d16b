import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, testJob, testServer } from "./test-support/server.js";

/** Names (unique among a tenant's live jobs), references (GET /v1/job-refs/{ref}) and rm (DELETE). */

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answered
type AnyJson = any;

const sleeper = (name: string, extra: Record<string, unknown> = {}) =>
  testJob(name, { command: ["sleep", "30"], ...extra });
const ids = (jobs: readonly { id: string }[]) => jobs.map((j) => j.id);

describe("job names, references and rm (fake engine)", () => {
  let t: TestServer;
  let acme: string;
  let globex: string;
  const resolve = (ref: string, token = acme) =>
    t.call("GET", `/v1/job-refs/${encodeURIComponent(ref)}`, undefined, token);
  const stop = (id: string, token = acme) => t.call("POST", `/v1/jobs/${id}/stop`, {}, token);
  beforeAll(async () => {
    t = await testServer();
    acme = await t.tenant("acme");
    globex = await t.tenant("globex");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("a name is unique among the tenant's live jobs: a clash is 409 GP_NAME_IN_USE naming the holder", async () => {
    const [first] = await t.submit(sleeper("train"), acme);
    const clash = await t.call("POST", "/v1/jobs", sleeper("train"), acme);
    expect([clash.status, clash.body.code]).toEqual([409, "GP_NAME_IN_USE"]);
    expect(clash.body.message).toContain(`the name train is in use by live job ${first!.id} (train,`);
    // Another tenant's names are its own.
    await t.submit(sleeper("train"), globex);
    // A finished job frees its name (it stays on record, and still resolves while no live job has it).
    await stop(first!.id);
    const [second] = await t.submit(sleeper("train"), acme);
    expect(ids((await resolve("train")).body.jobs)).toEqual([second!.id]);
    await stop(second!.id);
    expect(ids((await resolve("train")).body.jobs)).toEqual([second!.id]);
  });

  it("a replay of an accepted submission is answered, not refused for its own name", async () => {
    const body = sleeper("replayed", { clientRequestId: "replay-1" });
    const a = await t.call("POST", "/v1/jobs", body, acme);
    const b = await t.call("POST", "/v1/jobs", body, acme);
    expect([a.status, b.status]).toEqual([201, 200]);
    const c = await t.call("POST", "/v1/jobs", { ...body, command: ["true"] }, acme);
    expect(c.body.code).toBe("GP_IDEMPOTENCY_CONFLICT");
    await stop(a.body.jobs[0].id);
  });

  it("a gang holds its name and each member's (NAME-RANK), against single jobs and other gangs", async () => {
    const gang = await t.submit(sleeper("dist", { replicas: 2 }), acme);
    expect(gang.map((j) => j.name)).toEqual(["dist-0", "dist-1"]);
    for (const taken of [sleeper("dist"), sleeper("dist-1"), sleeper("dist-0", { replicas: 2 })]) {
      const r = await t.call("POST", "/v1/jobs", taken, acme);
      expect([r.status, r.body.code], JSON.stringify(taken)).toEqual([409, "GP_NAME_IN_USE"]);
    }
    const [solo] = await t.submit(sleeper("solo-1"), acme);
    const r = await t.call("POST", "/v1/jobs", sleeper("solo", { replicas: 2 }), acme);
    expect(r.body.message).toContain(`the name solo-1 is in use by live job ${solo!.id}`);
    const byGang = await t.call("POST", "/v1/jobs", sleeper("dist"), acme);
    expect(byGang.body.message).toMatch(
      /the name dist is in use by live gang dist \(member j-\S+ \(dist-0, /,
    );

    // References: the gang's name → its members in rank order; a member's name → that member.
    expect(ids((await resolve("dist")).body.jobs)).toEqual(ids(gang));
    expect(ids((await resolve("dist-1")).body.jobs)).toEqual([gang[1]!.id]);
    expect(ids((await resolve(gang[0]!.gang!)).body.jobs)).toEqual(ids(gang));
    for (const m of [...gang, solo!]) await stop(m.id);
  });

  it("resolves an exact id, then a name, then a unique id prefix; an ambiguous prefix lists the candidates", async () => {
    const [a] = await t.submit(sleeper("ref-a"), acme);
    const [b] = await t.submit(sleeper("ref-b"), acme);
    expect(ids((await resolve(a!.id)).body.jobs)).toEqual([a!.id]);
    expect(ids((await resolve("ref-b")).body.jobs)).toEqual([b!.id]);
    expect(ids((await resolve(a!.id.slice(0, -2))).body.jobs)).toEqual([a!.id]);

    const amb = await resolve("j-");
    expect([amb.status, amb.body.code]).toEqual([409, "GP_AMBIGUOUS_JOB_REF"]);
    expect(amb.body.message).toMatch(/^j- is the start of several job ids: j-\S+ \(\S+, \w+\), /);
    expect(amb.body.message).toContain(`${b!.id} (ref-b, `);

    // A job named like another's id, or like a prefix of it: the exact id wins over the name, and
    // the name over the prefix.
    const [named] = await t.submit(sleeper(a!.id), acme);
    expect(ids((await resolve(a!.id)).body.jobs)).toEqual([a!.id]);
    const prefix = b!.id.slice(0, -3);
    const [short] = await t.submit(sleeper(prefix), acme);
    expect(ids((await resolve(prefix)).body.jobs)).toEqual([short!.id]);

    const none = await resolve("no-such-job");
    expect([none.status, none.body.code]).toEqual([404, "GP_JOB_NOT_FOUND"]);
    for (const j of [a!, b!, named!, short!]) await stop(j.id);
  });

  it("another tenant's jobs never match a name, a prefix or an id; the admin's exact ids reach every tenant", async () => {
    const [theirs] = await t.submit(sleeper("their-job"), globex);
    for (const ref of ["their-job", theirs!.id, theirs!.id.slice(0, -1)]) {
      const r = await resolve(ref, acme);
      expect([r.status, r.body.code], ref).toEqual([404, "GP_JOB_NOT_FOUND"]);
    }
    expect(ids((await resolve(theirs!.id, globex)).body.jobs)).toEqual([theirs!.id]);
    expect(ids((await t.call("GET", `/v1/job-refs/${theirs!.id}`)).body.jobs)).toEqual([theirs!.id]);
    expect((await t.call("GET", "/v1/job-refs/their-job")).status).toBe(404);
    const rm = await t.call("DELETE", `/v1/jobs/${theirs!.id}?force=true`, undefined, acme);
    expect([rm.status, rm.body.code]).toEqual([404, "GP_JOB_NOT_FOUND"]);
    await stop(theirs!.id, globex);
  });

  it("rm deletes a finished job: record, events, logs and container; its usage stays the tenant's", async () => {
    const [job] = await t.submit(
      testJob("metered", { gpu: 0.5, command: ["sh", "-c", "echo kept; sleep 0.3"] }),
      acme,
    );
    const done = await t.until(job!.id, (j) => j.state === "Succeeded", 10_000, acme);
    expect(await t.logs(job!.id, acme)).toContain("kept");
    const usage = async () =>
      ((await t.call("GET", "/v1/usage", undefined, acme)).body as AnyJson).tenants.find(
        (u: { tenant: string }) => u.tenant === "acme",
      )?.gpuMilliMs as number;
    const before = await usage();
    expect(before).toBeGreaterThan(0);

    const rm = await t.call("DELETE", `/v1/jobs/${job!.id}`, undefined, acme);
    expect([rm.status, rm.body.job.id, rm.body.job.state]).toEqual([200, job!.id, "Succeeded"]);
    for (const url of [`/v1/jobs/${job!.id}`, `/v1/jobs/${job!.id}/events`, `/v1/jobs/${job!.id}/logs`]) {
      const r = await t.call("GET", url, undefined, acme);
      expect([r.status, r.body.code], url).toEqual([404, "GP_JOB_NOT_FOUND"]);
    }
    expect((await resolve("metered")).status).toBe(404);
    expect(ids((await t.call("GET", "/v1/jobs", undefined, acme)).body.jobs)).not.toContain(job!.id);
    const events = (await t.call("GET", "/v1/events?after=0&limit=10000", undefined, acme)).body.events;
    expect(events.map((e: { jobId: string }) => e.jobId)).not.toContain(job!.id);
    expect(existsSync(join(t.dir, "logs", `${job!.id}.ndjson`))).toBe(false);
    expect(await t.server.engine.inspect(done.containerId!)).toBeUndefined();
    expect(await usage()).toBe(before);
    const again = await t.call("DELETE", `/v1/jobs/${job!.id}`, undefined, acme);
    expect(again.body.code).toBe("GP_JOB_NOT_FOUND");
  });

  it("rm of a live job is 409 GP_JOB_NOT_FINISHED; force=true stops it, then deletes it", async () => {
    const [job] = await t.submit(sleeper("busy"), acme);
    await t.until(job!.id, (j) => j.state === "Running", 10_000, acme);
    const refused = await t.call("DELETE", `/v1/jobs/${job!.id}`, undefined, acme);
    expect([refused.status, refused.body.code]).toEqual([409, "GP_JOB_NOT_FINISHED"]);
    expect((await t.job(job!.id, acme)).state).toBe("Running");
    const forced = await t.call("DELETE", `/v1/jobs/${job!.id}?force=true`, undefined, acme);
    expect([forced.status, forced.body.job.state]).toEqual([200, "Cancelled"]);
    expect((await t.call("GET", `/v1/jobs/${job!.id}`, undefined, acme)).status).toBe(404);
    // Its name is free again, and nothing of it is left on the engine.
    await t.submit(testJob("busy", { command: ["true"] }), acme);
    const left = await t.server.engine.list({ "io.gpupool.job": job!.id });
    expect(left).toEqual([]);
  });
});
