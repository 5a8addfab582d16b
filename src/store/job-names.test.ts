import { beforeEach, describe, expect, it } from "vitest";
import type { JobState } from "./job-states.js";
import { JOB_NAME_SQL } from "./job-names.js";
import { Store } from "./store.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";

/** Jobs by name (their own and their gang's) and by id prefix, one tenant at a time. */

const ALLOC = { workloadId: "w", node: "n1", cpuMilli: 100, memoryMiB: 64, gpus: [] };

let t = 1_000;
let store: Store;
beforeEach(() => {
  t = 1_000;
  store = Store.open(":memory:", { now: () => t++ });
  store.tenants.create("acme");
  store.tenants.create("globex");
});

/** A job as the API submits it: the spec carries the given name; gang members are GIVEN-RANK. */
function job(tenant: string, given: string, gang?: { id: string; rank: number }) {
  return store.jobs.submit(tenant, {
    name: gang ? `${given}-${gang.rank}` : given,
    spec: opaqueSpec({ name: given, image: "x" }),
    ...(gang ? { gang: gang.id } : {}),
  }).job;
}

function finish(id: string, to: JobState = "Cancelled"): void {
  store.jobs.transition(id, to === "Cancelled" ? "Cancelled" : "Scheduled", {
    node: "n1",
    allocation: ALLOC,
  });
  if (to === "Cancelled") return;
  store.jobs.transition(id, "Starting");
  store.jobs.transition(id, "Running");
  store.jobs.transition(id, to, to === "Failed" ? { exitCode: 1 } : {});
}

const ids = (refs: readonly { id: string }[]) => refs.map((r) => r.id);

describe("JobNames.liveHolders", () => {
  it("finds live jobs by their own name and by their gang's, never another tenant's", () => {
    const single = job("acme", "train");
    const g0 = job("acme", "dist", { id: "g-1", rank: 0 });
    const g1 = job("acme", "dist", { id: "g-1", rank: 1 });
    job("globex", "train");
    expect(ids(store.jobNames.liveHolders("acme", ["train"]))).toEqual([single.id]);
    expect(ids(store.jobNames.liveHolders("acme", ["dist"]))).toEqual([g0.id, g1.id]);
    expect(ids(store.jobNames.liveHolders("acme", ["dist-1"]))).toEqual([g1.id]);
    expect(ids(store.jobNames.liveHolders("acme", ["train", "dist-0", "none"]))).toEqual([single.id, g0.id]);
    expect(store.jobNames.liveHolders("acme", ["tra", "dist-"])).toEqual([]);
    expect(store.jobNames.liveHolders("acme", ["train"])[0]).toEqual({
      id: single.id,
      tenant: "acme",
      name: "train",
      given: "train",
      gang: null,
      state: "Pending",
      seq: single.seq,
    });
  });

  it("lets go of a name once its job finishes; a Failed job retried holds it again", () => {
    const a = job("acme", "train");
    finish(a.id, "Succeeded");
    expect(store.jobNames.liveHolders("acme", ["train"])).toEqual([]);
    const b = job("acme", "retry");
    finish(b.id, "Failed");
    expect(store.jobNames.liveHolders("acme", ["retry"])).toEqual([]);
    store.jobs.transition(b.id, "Pending", { from: "Failed" });
    expect(ids(store.jobNames.liveHolders("acme", ["retry"]))).toEqual([b.id]);
    const c = job("acme", "stopped");
    finish(c.id, "Cancelled");
    expect(store.jobNames.liveHolders("acme", ["stopped"])).toEqual([]);
  });
});

describe("JobNames.named", () => {
  it("lists every holder of a name, finished ones too, newest first", () => {
    const old = job("acme", "train");
    finish(old.id, "Succeeded");
    const now = job("acme", "train");
    const m = job("acme", "train", { id: "g-2", rank: 0 });
    expect(ids(store.jobNames.named("acme", "train"))).toEqual([m.id, now.id, old.id]);
    expect(ids(store.jobNames.named("acme", "train-0"))).toEqual([m.id]);
    expect(store.jobNames.named("globex", "train")).toEqual([]);
  });
});

describe("JobNames.withIdPrefix", () => {
  it("finds ids by prefix in id order, up to the limit, only the tenant's", () => {
    const a = job("acme", "a");
    const b = job("acme", "b");
    const other = job("globex", "c");
    const all = [a.id, b.id].sort();
    expect(ids(store.jobNames.withIdPrefix("acme", "j-", 10))).toEqual(all);
    expect(ids(store.jobNames.withIdPrefix("acme", "j-", 1))).toEqual([all[0]]);
    expect(ids(store.jobNames.withIdPrefix("acme", a.id.slice(0, -1), 10))).toEqual([a.id]);
    expect(ids(store.jobNames.withIdPrefix("acme", a.id, 10))).toEqual([a.id]);
    expect(store.jobNames.withIdPrefix("acme", other.id, 10)).toEqual([]);
    expect(store.jobNames.withIdPrefix("acme", "x", 10)).toEqual([]);
  });

  it("looks names and prefixes up on indexes, not by scanning every job", () => {
    const plan = (sql: string, args: Record<string, unknown>) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]).map((r) => r.detail);
    const byName = { tenant: "acme", name: "x" };
    for (const sql of [JOB_NAME_SQL.liveHolders, JOB_NAME_SQL.named]) {
      const steps = plan(sql, byName).filter((d) => /jobs/.test(d));
      expect(steps, sql).toEqual([
        expect.stringMatching(/SEARCH jobs USING INDEX jobs_tenant_name \(tenant=\? AND name=\?/),
        expect.stringMatching(/SEARCH jobs USING INDEX jobs_tenant_given_name \(tenant=\? AND <expr>=\?/),
      ]);
    }
    expect(plan(JOB_NAME_SQL.withIdPrefix, { from: "j-", to: "j-\uffff", tenant: "acme", limit: 5 })).toEqual(
      [expect.stringMatching(/SEARCH jobs USING INDEX sqlite_autoindex_jobs_\d \(id>\? AND id<\?\)/)],
    );
  });
});
