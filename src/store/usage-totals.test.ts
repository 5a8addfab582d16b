import { describe, expect, it } from "vitest";
import { openDatabase } from "./db.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import { Store } from "./store.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";

/** Migration 5: every event carries its tenant, and usage_totals keeps each tenant's sum of usage. */

describe("usage totals and events by tenant (migration 5)", () => {
  it("a store from before it gets both filled in: the events' tenants and the totals", () => {
    const db = openDatabase(":memory:");
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version < 5),
    );
    db.exec(`
      INSERT INTO tenants (name, created_at) VALUES ('acme', 0), ('globex', 0);
      INSERT INTO jobs (id, tenant, name, spec, state, queue, created_at, updated_at)
        VALUES ('a1', 'acme', 'a1', '{}', 'Succeeded', 'acme', 0, 0), ('g1', 'globex', 'g1', '{}', 'Succeeded', 'globex', 0, 0);
      INSERT INTO job_events (job_id, at, type) VALUES ('a1', 0, 'submitted'), ('g1', 0, 'submitted'), ('a1', 1, 'transition');
      INSERT INTO usage (job_id, tenant, gpu_milli_ms, updated_at) VALUES ('a1', 'acme', 7, 0), ('gone', 'acme', 5, 0), ('g1', 'globex', 3, 0);
    `);
    expect(
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version <= 5),
      ),
    ).toEqual([5]);
    expect(db.prepare("SELECT job_id, tenant FROM job_events ORDER BY seq").all()).toEqual([
      { job_id: "a1", tenant: "acme" },
      { job_id: "g1", tenant: "globex" },
      { job_id: "a1", tenant: "acme" },
    ]);
    expect(db.prepare("SELECT * FROM usage_totals ORDER BY tenant").all()).toEqual([
      { tenant: "acme", gpu_milli_ms: 12 },
      { tenant: "globex", gpu_milli_ms: 3 },
    ]);
    db.close();
  });

  it("the totals follow every write of usage in its transaction (insert, add, update, delete, rollback), and outlive a deleted job", () => {
    const store = Store.open(":memory:");
    store.tenants.create("acme");
    const a = store.jobs.submit("acme", { name: "a", spec: opaqueSpec({}) }).job;
    const b = store.jobs.submit("acme", { name: "b", spec: opaqueSpec({}) }).job;
    store.usage.add(a.id, 1000, 2000);
    store.usage.add(a.id, 500, 1000);
    store.usage.add(b.id, 250, 4000);
    expect(store.usage.ofTenant("acme").gpuMilliMs).toBe(2_000_000 + 500_000 + 1_000_000);
    store.db.prepare("UPDATE usage SET gpu_milli_ms = 10 WHERE job_id = ?").run(b.id);
    store.db.prepare("DELETE FROM usage WHERE job_id = ?").run(a.id);
    expect(store.usage.byTenant()).toEqual({ acme: expect.objectContaining({ gpuMilliMs: 10 }) });
    expect(() =>
      store.db.transaction(() => {
        store.usage.add(b.id, 1000, 1000);
        throw new Error("rolled back");
      })(),
    ).toThrow("rolled back");
    expect(store.usage.ofTenant("acme").gpuMilliMs).toBe(10);
    store.jobs.transition(b.id, "Cancelled");
    store.jobs.delete(b.id);
    expect(store.usage.ofTenant("acme").gpuMilliMs).toBe(10);
    expect(store.usage.ofTenant("nobody").gpuMilliMs).toBe(0);
    store.close();
  });
});
