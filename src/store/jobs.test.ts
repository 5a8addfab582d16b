import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { JOB_STATES, type JobState, TRANSITIONS, canTransition } from "./job-states.js";
import { canonicalJson } from "./jobs.js";
import { Store } from "./store.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";

const ALLOC = {
  workloadId: "w",
  node: "n1",
  cpuMilli: 500,
  memoryMiB: 256,
  gpus: [{ index: 0, milli: 1000, memoryMiB: 81920 }],
};
const PLACE = { node: "n1", allocation: ALLOC };

let t = 1_000;
let store: Store;
beforeEach(() => {
  t = 1_000;
  store = Store.open(":memory:", { now: () => t });
  store.tenants.create("acme");
  store.tenants.create("globex");
});

function submit(tenant = "acme", extra: Record<string, unknown> = {}) {
  return store.jobs.submit(tenant, {
    name: "train",
    spec: opaqueSpec({ image: "localhost/busybox:latest", command: ["true"], ...extra }),
  }).job;
}

describe("jobs: submission", () => {
  it("submits as Pending with a 'submitted' event, queue default and FIFO sequence", () => {
    const a = submit();
    const b = submit();
    expect(a).toMatchObject({
      state: "Pending",
      tenant: "acme",
      queue: "default",
      priority: 0,
      attempts: 0,
      createdAt: 1000,
    });
    expect(b.seq).toBeGreaterThan(a.seq);
    expect(store.jobs.events(a.id)).toEqual([
      {
        seq: expect.any(Number),
        jobId: a.id,
        at: 1000,
        type: "submitted",
        from: null,
        to: "Pending",
        reason: null,
      },
    ]);
  });

  it("is idempotent per client request id: the same submission returns the same job and adds nothing", () => {
    const first = store.jobs.submit("acme", {
      name: "n",
      spec: opaqueSpec({ b: 1, a: [1, 2] }),
      clientRequestId: "req-1",
      priority: 5,
    });
    const again = store.jobs.submit("acme", {
      name: "n",
      spec: opaqueSpec({ a: [1, 2], b: 1 }),
      clientRequestId: "req-1",
      priority: 5,
    });
    expect(first.created).toBe(true);
    expect(again).toEqual({ job: first.job, created: false });
    expect(store.jobs.list()).toHaveLength(1);
    expect(store.jobs.events(first.job.id)).toHaveLength(1);
  });

  it("refuses a reused client request id with a different submission (GP_IDEMPOTENCY_CONFLICT)", () => {
    store.jobs.submit("acme", { name: "n", spec: opaqueSpec({ a: 1 }), clientRequestId: "req-1" });
    expect(() =>
      store.jobs.submit("acme", { name: "n", spec: opaqueSpec({ a: 2 }), clientRequestId: "req-1" }),
    ).toThrow(expect.objectContaining({ code: "GP_IDEMPOTENCY_CONFLICT" }));
    expect(() =>
      store.jobs.submit("acme", {
        name: "n",
        spec: opaqueSpec({ a: 1 }),
        clientRequestId: "req-1",
        priority: 9,
      }),
    ).toThrow(expect.objectContaining({ code: "GP_IDEMPOTENCY_CONFLICT" }));
  });

  it("scopes client request ids to the tenant: two tenants may use the same one", () => {
    const a = store.jobs.submit("acme", { name: "n", spec: opaqueSpec({}), clientRequestId: "same" });
    const b = store.jobs.submit("globex", { name: "n", spec: opaqueSpec({}), clientRequestId: "same" });
    expect(a.job.id).not.toBe(b.job.id);
    expect(b.created).toBe(true);
  });

  it("refuses an unknown tenant (GP_TENANT_NOT_FOUND)", () => {
    expect(() => store.jobs.submit("nobody", { name: "n", spec: opaqueSpec({}) })).toThrow(
      expect.objectContaining({ code: "GP_TENANT_NOT_FOUND" }),
    );
  });

  it("compares specs by content, not key order", () => {
    expect(canonicalJson({ b: { y: 1, x: [2, { d: 1, c: 2 }] }, a: null })).toBe(
      canonicalJson({ a: null, b: { x: [2, { c: 2, d: 1 }], y: 1 } }),
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });
});

describe("jobs: listing", () => {
  it("filters by state and queue and pages by sequence", () => {
    const ids = [0, 1, 2, 3, 4].map(
      (i) =>
        store.jobs.submit("acme", { name: `j${i}`, spec: opaqueSpec({}), queue: i % 2 ? "odd" : "even" }).job,
    );
    store.jobs.transition(ids[1]?.id as string, "Cancelled");
    expect(store.jobs.list({ queue: "odd" }).map((j) => j.name)).toEqual(["j1", "j3"]);
    expect(store.jobs.list({ states: ["Pending"], queue: "odd" }).map((j) => j.name)).toEqual(["j3"]);
    const page1 = store.jobs.list({ limit: 2 });
    const page2 = store.jobs.list({ limit: 2, afterSeq: page1.at(-1)?.seq });
    expect([...page1, ...page2].map((j) => j.name)).toEqual(["j0", "j1", "j2", "j3"]);
    expect(store.jobs.require(ids[4]?.id as string).name).toBe("j4");
    expect(() => store.jobs.require("j-none")).toThrow(expect.objectContaining({ code: "GP_JOB_NOT_FOUND" }));
  });
});

describe("jobs: gangs and notes", () => {
  it("finds a gang's members and keeps notes in the event log without changing state", () => {
    const a = store.jobs.submit("acme", { name: "w0", spec: opaqueSpec({}), gang: "g1" }).job;
    const b = store.jobs.submit("acme", { name: "w1", spec: opaqueSpec({}), gang: "g1" }).job;
    submit();
    expect(store.jobs.list({ gang: "g1" }).map((j) => j.id)).toEqual([a.id, b.id]);
    t = 1500;
    const note = store.jobs.note(a.id, "adopted", "container c-9 re-adopted after restart");
    expect(note).toMatchObject({ jobId: a.id, at: 1500, type: "adopted", from: "Pending", to: "Pending" });
    expect(store.jobs.get(a.id)?.state).toBe("Pending");
    expect(store.jobs.eventsSince(0).map((e) => e.type)).toEqual([
      "submitted",
      "submitted",
      "submitted",
      "adopted",
    ]);
    expect(store.jobs.eventsSince(note.seq)).toEqual([]);
  });
});

describe("jobs: state machine", () => {
  it("walks Pending → Scheduled → Starting → Running → Succeeded with fields and events", () => {
    const job = submit();
    t = 2000;
    const scheduled = store.jobs.transition(job.id, "Scheduled", { ...PLACE, reason: "placed on n1" });
    expect(scheduled).toMatchObject({
      state: "Scheduled",
      node: "n1",
      allocation: ALLOC,
      scheduledAt: 2000,
      reason: "placed on n1",
    });
    t = 3000;
    expect(store.jobs.transition(job.id, "Starting").attempts).toBe(1);
    store.jobs.recordContainer(job.id, "c-1");
    t = 4000;
    expect(store.jobs.transition(job.id, "Running")).toMatchObject({ startedAt: 4000, containerId: "c-1" });
    t = 9000;
    const done = store.jobs.transition(job.id, "Succeeded", { exitCode: 0, reason: "exit code 0" });
    expect(done).toMatchObject({ state: "Succeeded", exitCode: 0, finishedAt: 9000 });
    expect(store.jobs.events(job.id).map((e) => [e.type, e.from, e.to, e.at])).toEqual([
      ["submitted", null, "Pending", 1000],
      ["transition", "Pending", "Scheduled", 2000],
      ["transition", "Scheduled", "Starting", 3000],
      ["container", "Starting", "Starting", 3000],
      ["transition", "Starting", "Running", 4000],
      ["transition", "Running", "Succeeded", 9000],
    ]);
  });

  it("refuses illegal transitions with GP_ILLEGAL_TRANSITION and changes nothing", () => {
    const job = submit();
    const before = store.jobs.get(job.id);
    for (const to of ["Running", "Starting", "Succeeded", "Preempted", "Pending"] as const) {
      expect(() => store.jobs.transition(job.id, to, PLACE)).toThrow(
        expect.objectContaining({ code: "GP_ILLEGAL_TRANSITION" }),
      );
    }
    expect(store.jobs.get(job.id)).toEqual(before);
    expect(store.jobs.events(job.id)).toHaveLength(1);
    store.jobs.transition(job.id, "Cancelled", { reason: "user" });
    for (const to of JOB_STATES) {
      expect(() => store.jobs.transition(job.id, to, PLACE)).toThrow(
        expect.objectContaining({ code: "GP_ILLEGAL_TRANSITION" }),
      );
    }
  });

  it("compare-and-set: refuses when the job is not in the expected state", () => {
    const job = submit();
    store.jobs.transition(job.id, "Scheduled", PLACE);
    expect(() => store.jobs.transition(job.id, "Cancelled", { from: "Pending" })).toThrow(
      expect.objectContaining({ code: "GP_ILLEGAL_TRANSITION" }),
    );
    expect(store.jobs.transition(job.id, "Cancelled", { from: ["Pending", "Scheduled"] }).state).toBe(
      "Cancelled",
    );
  });

  it("needs node and allocation to schedule; requeues preempted jobs with a backoff", () => {
    const job = submit();
    expect(() => store.jobs.transition(job.id, "Scheduled")).toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }),
    );
    store.jobs.transition(job.id, "Scheduled", PLACE);
    store.jobs.transition(job.id, "Starting");
    store.jobs.transition(job.id, "Running");
    store.jobs.transition(job.id, "Preempted", { reason: "preempted by j-high", exitCode: 143 });
    const requeued = store.jobs.transition(job.id, "Pending", { reason: "requeued", notBefore: 5000 });
    expect(requeued).toMatchObject({ state: "Pending", notBefore: 5000, finishedAt: null, attempts: 1 });
    const heads = (now: number) =>
      store.jobs.pendingHeads(now, { window: 10, perTenant: 2, tenants: [] }).map((j) => j.id);
    expect(heads(4999)).not.toContain(job.id);
    expect(heads(5000)).toContain(job.id);
  });

  it("knows a stop begun and not yet recorded: a 'stopping' note after the last transition", () => {
    const job = submit();
    store.jobs.transition(job.id, "Scheduled", PLACE);
    store.jobs.transition(job.id, "Starting");
    store.jobs.transition(job.id, "Running");
    expect(store.jobs.pendingStop(job.id)).toBeUndefined();
    const ev = store.jobs.note(job.id, "stopping", "preempt: preempted by j-high");
    expect(ev).toMatchObject({ jobId: job.id, type: "stopping", from: "Running", to: "Running" });
    expect(store.jobs.events(job.id).at(-1)).toEqual(ev);
    store.jobs.note(job.id, "log", "something else");
    expect(store.jobs.pendingStop(job.id)).toBe("preempt: preempted by j-high");
    store.jobs.transition(job.id, "Preempted");
    expect(store.jobs.pendingStop(job.id)).toBeUndefined();
    expect(store.jobs.pendingStop("j-nope")).toBeUndefined();
  });

  it("lists pending heads by priority, then submission: the window, each tenant's first, whole gangs", () => {
    const low = store.jobs.submit("acme", { name: "low", spec: opaqueSpec({}), priority: 0 }).job;
    const high = store.jobs.submit("globex", { name: "high", spec: opaqueSpec({}), priority: 10 }).job;
    const low2 = store.jobs.submit("acme", { name: "low2", spec: opaqueSpec({}), priority: 0 }).job;
    const all = { window: 10, perTenant: 10, tenants: ["acme", "globex"] };
    expect(store.jobs.pendingHeads(1e15, all).map((j) => j.id)).toEqual([high.id, low.id, low2.id]);
    // Beyond the window: acme's backlog, then globex's two and the second member of a gang.
    const backlog = Array.from(
      { length: 5 },
      (_, i) => store.jobs.submit("acme", { name: `a${i}`, spec: opaqueSpec({}) }).job,
    );
    const g1 = store.jobs.submit("globex", { name: "g-0", spec: opaqueSpec({}), gang: "g" }).job;
    const g2 = store.jobs.submit("globex", { name: "g-1", spec: opaqueSpec({}), gang: "g" }).job;
    const late = store.jobs.submit("globex", { name: "late", spec: opaqueSpec({}) }).job;
    const heads = store.jobs
      .pendingHeads(1e15, { window: 2, perTenant: 2, tenants: ["acme", "globex"] })
      .map((j) => j.id);
    // window: high, low; acme's first two: low, low2; globex's first two: high, g-0; and g-0's gang: g-1.
    expect(heads).toEqual([high.id, low.id, low2.id, g1.id, g2.id]);
    expect(heads).not.toContain(late.id);
    expect(heads).not.toContain(backlog[0]!.id);
  });

  it("property: any sequence of attempted transitions leaves a legal state and an event log that replays to it", () => {
    const stateArb = fc.constantFrom(...JOB_STATES);
    fc.assert(
      fc.property(fc.array(stateArb, { maxLength: 40 }), (targets) => {
        const s = Store.open(":memory:");
        s.tenants.create("p");
        const { job } = s.jobs.submit("p", { name: "x", spec: opaqueSpec({}) });
        let model: JobState = "Pending";
        let accepted = 0;
        for (const to of targets) {
          const legal = canTransition(model, to);
          let ok = true;
          try {
            s.jobs.transition(job.id, to, PLACE);
          } catch (e) {
            ok = false;
            expect((e as { code?: string }).code).toBe("GP_ILLEGAL_TRANSITION");
          }
          expect(ok).toBe(legal);
          if (ok) {
            model = to;
            accepted++;
          }
          expect(s.jobs.get(job.id)?.state).toBe(model);
        }
        const events = s.jobs.events(job.id);
        expect(events).toHaveLength(accepted + 1);
        let replay: JobState = "Pending";
        for (const e of events.slice(1)) {
          expect(e.from).toBe(replay);
          expect(TRANSITIONS[replay]).toContain(e.to);
          replay = e.to as JobState;
        }
        expect(replay).toBe(model);
        s.close();
      }),
      { numRuns: 300 },
    );
  });
});

describe("tenant isolation", () => {
  it("a tenant's view sees, lists and meters only its own jobs", () => {
    const mine = submit("acme");
    const theirs = submit("globex");
    store.jobs.transition(theirs.id, "Scheduled", PLACE);
    const acme = store.forTenant("acme");
    expect(acme.get(mine.id)?.id).toBe(mine.id);
    expect(acme.get(theirs.id)).toBeUndefined();
    expect(acme.events(theirs.id)).toBeUndefined();
    expect(acme.jobUsage(theirs.id)).toBeUndefined();
    expect(acme.list().map((j) => j.id)).toEqual([mine.id]);
    expect(acme.list({ states: ["Scheduled"] })).toEqual([]);
    expect(
      store
        .forTenant("globex")
        .list({ states: ["Scheduled"] })
        .map((j) => j.id),
    ).toEqual([theirs.id]);
    expect(() => store.forTenant("nobody")).toThrow(expect.objectContaining({ code: "GP_TENANT_NOT_FOUND" }));
  });
});

describe("usage", () => {
  it("meters GPU-milli-seconds per job and sums them per tenant", () => {
    const a = submit("acme");
    const b = submit("acme");
    const c = submit("globex");
    store.usage.add(a.id, 1000, 2_000); // one GPU for 2 s
    store.usage.add(a.id, 250, 4_000); // a quarter GPU for 4 s
    store.usage.add(b.id, 500, 1_000);
    store.usage.add(c.id, 2000, 500);
    expect(store.usage.ofJob(a.id)).toEqual({ gpuMilliMs: 3_000_000, gpuMilliSeconds: 3000, gpuSeconds: 3 });
    expect(store.usage.ofTenant("acme").gpuSeconds).toBe(3.5);
    expect(store.forTenant("globex").usage().gpuSeconds).toBe(1);
    expect(Object.keys(store.usage.byTenant())).toEqual(["acme", "globex"]);
    expect(() => store.usage.add(a.id, -1, 5)).toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }),
    );
    expect(() => store.usage.add("j-nope", 1, 5)).toThrow(
      expect.objectContaining({ code: "GP_JOB_NOT_FOUND" }),
    );
  });
});

describe("tenants", () => {
  it("creates tenants with quotas, refuses duplicates and bad names, updates quotas", () => {
    expect(store.tenants.get("acme")).toMatchObject({ name: "acme", quotas: {} });
    expect(() => store.tenants.create("acme")).toThrow(expect.objectContaining({ code: "GP_TENANT_EXISTS" }));
    expect(() => store.tenants.create("Bad Name")).toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }),
    );
    expect(store.tenants.setQuotas("acme", { gpuMilli: 2000, activeJobs: 10 }).quotas).toEqual({
      gpuMilli: 2000,
      activeJobs: 10,
    });
    expect(store.tenants.get("acme")?.quotas).toEqual({ gpuMilli: 2000, activeJobs: 10 });
  });
});

describe("jobs: bindAndStart", () => {
  it("is the two transitions Pending → Scheduled → Starting in one write: same row, events and feed", () => {
    const viaTwo = submit();
    const viaOne = submit();
    const feed: string[] = [];
    store.changes.subscribe(
      (c) => c.kind === "job" && feed.push(`${c.id === viaOne.id ? "one" : "two"} ${c.from}→${c.to}`),
    );
    t = 2_000;
    store.jobs.transition(viaTwo.id, "Scheduled", { from: "Pending", ...PLACE, reason: "placed on n1" });
    const two = store.jobs.transition(viaTwo.id, "Starting", { reason: "creating the container" });
    const one = store.jobs.bindAndStart(viaOne.id, {
      ...PLACE,
      placedReason: "placed on n1",
      startReason: "creating the container",
    });
    const strip = (j: typeof one) => ({ ...j, id: "", seq: 0, name: "", createdAt: 0 });
    expect(strip(one)).toEqual(strip(two));
    const story = (id: string) => store.jobs.events(id).map((e) => [e.type, e.from, e.to, e.reason, e.at]);
    expect(story(viaOne.id)).toEqual(story(viaTwo.id));
    expect(feed).toEqual([
      "two Pending→Scheduled",
      "two Scheduled→Starting",
      "one Pending→Scheduled",
      "one Scheduled→Starting",
    ]);
  });

  it("refuses a job that is no longer Pending and writes nothing", () => {
    const j = submit();
    store.jobs.transition(j.id, "Cancelled", { from: "Pending" });
    const before = store.jobs.events(j.id).length;
    expect(() => store.jobs.bindAndStart(j.id, { ...PLACE, placedReason: "p", startReason: "s" })).toThrow(
      expect.objectContaining({ code: "GP_ILLEGAL_TRANSITION" }),
    );
    expect(store.jobs.require(j.id).state).toBe("Cancelled");
    expect(store.jobs.events(j.id)).toHaveLength(before);
  });
});

describe("jobs: the pending window's indexes", () => {
  it("a tenant's pending heads come from the partial index of pending jobs, which other states leave alone", () => {
    const plan = (
      store.db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE state = 'Pending' AND (not_before IS NULL OR not_before <= ?) AND tenant = ? ORDER BY priority DESC, seq LIMIT ?",
        )
        .all(0, "acme", 10) as { detail: string }[]
    ).map((r) => r.detail);
    expect(plan.join("; ")).toMatch(/USING INDEX jobs_pending_tenant/);
    expect(plan.join("; ")).not.toMatch(/TEMP B-TREE/);
    const entries = () =>
      (
        store.db
          .prepare(
            "SELECT count(*) AS n FROM jobs INDEXED BY jobs_pending_tenant WHERE state = 'Pending' AND tenant = 'acme'",
          )
          .get() as { n: number }
      ).n;
    const j = submit();
    expect(entries()).toBe(1);
    store.jobs.bindAndStart(j.id, { ...PLACE, placedReason: "p", startReason: "s" });
    expect(entries()).toBe(0);
  });
});
