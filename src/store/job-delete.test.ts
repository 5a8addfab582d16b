import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "./db.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import { Store } from "./store.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";

/** `gpupool rm`: a finished job's record and events go; its metered usage stays its tenant's. */

const ALLOC = {
  workloadId: "w",
  node: "n1",
  cpuMilli: 500,
  memoryMiB: 256,
  gpus: [{ index: 0, milli: 1000, memoryMiB: 81920 }],
};

let store: Store;
beforeEach(() => {
  store = Store.open(":memory:");
  store.tenants.create("acme");
});

function ranToEnd(name: string) {
  const { job } = store.jobs.submit("acme", { name, spec: opaqueSpec({ name }) });
  store.jobs.transition(job.id, "Scheduled", { node: "n1", allocation: ALLOC });
  store.jobs.transition(job.id, "Starting");
  store.jobs.transition(job.id, "Running");
  store.usage.add(job.id, 1000, 2_000);
  store.jobs.transition(job.id, "Succeeded", { exitCode: 0 });
  return job;
}

describe("JobRepo.delete", () => {
  it("deletes a finished job and its events; usage stays with the tenant", () => {
    const job = ranToEnd("train");
    const kept = ranToEnd("other");
    const deleted = store.jobs.delete(job.id);
    expect(deleted).toMatchObject({ id: job.id, state: "Succeeded" });
    expect(store.jobs.get(job.id)).toBeUndefined();
    expect(store.jobs.events(job.id)).toEqual([]);
    expect(store.jobs.eventsSince(0).map((e) => e.jobId)).not.toContain(job.id);
    expect(store.jobs.list().map((j) => j.id)).toEqual([kept.id]);
    expect(store.jobNames.named("acme", "train")).toEqual([]);
    // Two jobs × one GPU × 2 s: both still count for the tenant (GPU-second budgets, /v1/usage).
    expect(store.usage.ofTenant("acme").gpuSeconds).toBe(4);
    expect(store.usage.byTenant().acme?.gpuSeconds).toBe(4);
    expect(store.usage.ofJob(job.id).gpuSeconds).toBe(2);
  });

  it("refuses a live job (GP_JOB_NOT_FINISHED) and an unknown one (GP_JOB_NOT_FOUND), changing nothing", () => {
    const { job } = store.jobs.submit("acme", { name: "live", spec: opaqueSpec({}) });
    expect(() => store.jobs.delete(job.id)).toThrow(
      expect.objectContaining({ code: "GP_JOB_NOT_FINISHED", message: expect.stringContaining("Pending") }),
    );
    expect(store.jobs.get(job.id)?.state).toBe("Pending");
    expect(store.jobs.events(job.id)).toHaveLength(1);
    expect(() => store.jobs.delete("j-nope")).toThrow(expect.objectContaining({ code: "GP_JOB_NOT_FOUND" }));
  });

  it("deletes Failed and Cancelled jobs too", () => {
    const { job: cancelled } = store.jobs.submit("acme", { name: "c", spec: opaqueSpec({}) });
    store.jobs.transition(cancelled.id, "Cancelled");
    const { job: failed } = store.jobs.submit("acme", { name: "f", spec: opaqueSpec({}) });
    store.jobs.transition(failed.id, "Failed", { reason: "no" });
    store.jobs.delete(cancelled.id);
    store.jobs.delete(failed.id);
    expect(store.jobs.list()).toEqual([]);
  });
});

describe("migration 4", () => {
  it("keeps the usage of a version-3 database, and from then on usage outlives its job", () => {
    const db = openDatabase(":memory:");
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 3),
    );
    db.prepare("INSERT INTO tenants (name, created_at) VALUES ('acme', 0)").run();
    db.prepare(
      `INSERT INTO jobs (id, tenant, name, spec, state, queue, created_at, updated_at)
         VALUES ('j-1', 'acme', 'old', '{"name":"old"}', 'Succeeded', 'acme', 0, 0)`,
    ).run();
    db.prepare(
      "INSERT INTO usage (job_id, tenant, gpu_milli_ms, updated_at) VALUES ('j-1', 'acme', 5000000, 0)",
    ).run();
    expect(
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version <= 4),
      ),
    ).toEqual([4]);
    expect(db.prepare("SELECT job_id, tenant, gpu_milli_ms FROM usage").all()).toEqual([
      { job_id: "j-1", tenant: "acme", gpu_milli_ms: 5_000_000 },
    ]);
    db.prepare("DELETE FROM jobs WHERE id = 'j-1'").run();
    expect(db.prepare("SELECT COUNT(*) AS n FROM usage").get()).toEqual({ n: 1 });
    expect(db.prepare("PRAGMA foreign_key_check").all()).toEqual([]);
    db.close();
  });
});
