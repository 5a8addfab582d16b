import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeSpec } from "../api/job-spec.js";
import { inTransaction } from "../store/index.js";
import { type TestServer, testServer } from "./test-support/server.js";

/**
 * Lists a page at a time (issue 10, acceptance 7): GET /v1/jobs defaults to 100 with a `next` cursor,
 * GET /v1/events pages are full for a tenant, GET /v1/usage pages its jobs.
 */

describe("pages of jobs, events and usage", () => {
  let t: TestServer;
  let acme: string;
  let globex: string;
  const acmeIds: string[] = [];
  beforeAll(async () => {
    t = await testServer();
    acme = await t.tenant("acme");
    globex = await t.tenant("globex");
    const store = t.server.store;
    // Finished jobs written straight into the store (the agent has nothing to run): 250 of acme's,
    // each between 4 of globex's, so acme's events are a fifth of the log.
    inTransaction(store.db, () => {
      for (let i = 0; i < 250; i++) {
        for (const [tenant, n] of [
          ["acme", 1],
          ["globex", 4],
        ] as const)
          for (let k = 0; k < n; k++) {
            const spec = normalizeSpec({
              name: `${tenant}-${i}-${k}`,
              image: "localhost/busybox:latest",
              gpu: 0.5,
            });
            const { job } = store.jobs.submit(tenant, { name: spec.name, spec, priority: 0 });
            store.jobs.transition(job.id, "Cancelled", { reason: "test" });
            store.usage.add(job.id, 500, 1000 * (i + 1));
            if (tenant === "acme") acmeIds.push(job.id);
          }
      }
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("GET /v1/jobs answers 100 by default with a cursor; following it lists every job once, in order", async () => {
    const first = await t.call("GET", "/v1/jobs", undefined, acme);
    expect(first.status).toBe(200);
    expect(first.body.jobs).toHaveLength(100);
    expect(first.body.next).toEqual(expect.any(String));
    const seen: string[] = first.body.jobs.map((j: { id: string }) => j.id);
    let next: string | null = first.body.next;
    while (next !== null) {
      const page = await t.call("GET", `/v1/jobs?limit=70&after=${next}`, undefined, acme);
      expect(page.body.jobs.length).toBeLessThanOrEqual(70);
      seen.push(...page.body.jobs.map((j: { id: string }) => j.id));
      next = page.body.next;
    }
    expect(seen).toEqual(acmeIds);
    const exact = await t.call("GET", "/v1/jobs?limit=250", undefined, acme);
    expect([exact.body.jobs.length, exact.body.next]).toEqual([250, null]);
    const bad = await t.call("GET", "/v1/jobs?after=abc", undefined, acme);
    expect([bad.status, bad.body.code]).toEqual([400, "GP_INVALID_ARGUMENT"]);
  });

  it("GET /v1/events: a tenant's page is full (the tenant is in the query), and only its events", async () => {
    const page = await t.call("GET", "/v1/events?after=0&limit=300", undefined, acme);
    expect(page.body.events).toHaveLength(300);
    const mine = new Set(acmeIds);
    expect(page.body.events.every((e: { jobId: string }) => mine.has(e.jobId))).toBe(true);
    const seqs = page.body.events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const rest = await t.call("GET", `/v1/events?after=${seqs.at(-1)}&limit=1000`, undefined, acme);
    expect(rest.body.events).toHaveLength(250 * 2 - 300); // two events a job: submitted, Cancelled
    const all = await t.call("GET", "/v1/events?after=0&limit=1000");
    expect(all.body.events).toHaveLength(1000); // the admin's: everyone's
    const plan = t.server.store.db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM job_events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?",
      )
      .all("acme", 0, 10) as { detail: string }[];
    expect(plan.map((p) => p.detail).join("; ")).toMatch(/USING INDEX job_events_tenant/);
  });

  it("GET /v1/usage: tenants' totals from the running totals, jobs a page at a time", async () => {
    const sum = (n: number) => (500 * 1000 * n * (n + 1)) / 2; // 500 milli × 1..n s, in milli × ms
    const first = await t.call("GET", "/v1/usage", undefined, acme);
    expect(first.body.tenants).toEqual([expect.objectContaining({ tenant: "acme", gpuMilliMs: sum(250) })]);
    expect(first.body.jobs).toHaveLength(100);
    const second = await t.call("GET", `/v1/usage?limit=200&after=${first.body.next}`, undefined, acme);
    expect([second.body.jobs.length, second.body.next]).toEqual([150, null]);
    expect([...first.body.jobs, ...second.body.jobs].map((j: { job: string }) => j.job)).toEqual(acmeIds);
    const admin = await t.call("GET", "/v1/usage?limit=1");
    expect(admin.body.tenants).toEqual([
      expect.objectContaining({ tenant: "acme", gpuMilliMs: sum(250) }),
      expect.objectContaining({ tenant: "globex", gpuMilliMs: 4 * sum(250) }),
    ]);
    // From the aggregate: the totals query reads one row a tenant, never the usage rows.
    const plan = (sql: string) =>
      (t.server.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all("acme") as { detail: string }[])
        .map((p) => p.detail)
        .join("; ");
    expect(plan("SELECT gpu_milli_ms FROM usage_totals WHERE tenant = ?")).toMatch(
      /^SEARCH usage_totals USING INDEX/,
    );
    const totals = t.server.store.db
      .prepare("SELECT tenant, gpu_milli_ms FROM usage_totals ORDER BY tenant")
      .all();
    const sums = t.server.store.db
      .prepare("SELECT tenant, SUM(gpu_milli_ms) AS gpu_milli_ms FROM usage GROUP BY tenant ORDER BY tenant")
      .all();
    expect(totals).toEqual(sums);
    expect(globex).toMatch(/^gp_/);
  });
});
