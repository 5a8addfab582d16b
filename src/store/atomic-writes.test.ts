import { describe, expect, it } from "vitest";
import { Store } from "./store.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";

/**
 * A job's change and its event are one write: when the event cannot be written (here a trigger
 * refuses it, as a full disk or a crash would), the job's row is as it was. The same for a
 * submission and for a bind.
 */

function storeWithFailingEvents(): Store {
  const store = Store.open(":memory:", { now: () => 1000 });
  store.tenants.create("acme");
  return store;
}

const failEventsOf = (store: Store, jobId: string) =>
  store.db.exec(
    `CREATE TEMP TRIGGER fail_events BEFORE INSERT ON job_events WHEN NEW.job_id = '${jobId}'
       BEGIN SELECT RAISE(ABORT, 'injected: the event cannot be written'); END`,
  );

describe("a job's row and its events change together or not at all", () => {
  it("a transition whose event fails leaves the job as it was", () => {
    const store = storeWithFailingEvents();
    const job = store.jobs.submit("acme", {
      name: "a",
      spec: opaqueSpec({ image: "x", command: ["true"] }),
    }).job;
    const events = store.jobs.events(job.id).length;
    failEventsOf(store, job.id);
    expect(() => store.jobs.transition(job.id, "Cancelled", { reason: "stop" })).toThrow(/injected/);
    expect(store.jobs.require(job.id).state).toBe("Pending");
    expect(store.jobs.events(job.id)).toHaveLength(events);
  });

  it("a bind whose second event fails leaves the job Pending, unplaced", () => {
    const store = storeWithFailingEvents();
    const job = store.jobs.submit("acme", {
      name: "b",
      spec: opaqueSpec({ image: "x", command: ["true"] }),
    }).job;
    failEventsOf(store, job.id);
    const allocation = { workloadId: job.id, node: "n1", cpuMilli: 0, memoryMiB: 0, gpus: [] };
    expect(() =>
      store.jobs.bindAndStart(job.id, { node: "n1", allocation, placedReason: "p", startReason: "s" }),
    ).toThrow(/injected/);
    const after = store.jobs.require(job.id);
    expect([after.state, after.node, after.allocation, after.attempts]).toEqual(["Pending", null, null, 0]);
  });
});
