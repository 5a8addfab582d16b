import { describe, expect, it } from "vitest";
import type { StoreChange } from "./change-feed.js";
import { inTransaction } from "./db.js";
import { Store } from "./store.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";

describe("the store's change feed", () => {
  function world() {
    const store = Store.open(":memory:");
    const seen: StoreChange[] = [];
    store.changes.subscribe((c) => seen.push(c));
    return { store, seen };
  }

  it("emits submissions, transitions and tenant changes once committed, in order", () => {
    const { store, seen } = world();
    store.tenants.create("acme");
    const { job } = store.jobs.submit("acme", { name: "a", spec: opaqueSpec({}) });
    store.jobs.transition(job.id, "Cancelled", { reason: "test" });
    store.tenants.setQuotas("acme", { gpuMilli: 1000 });
    expect(seen).toEqual([
      { kind: "tenant", name: "acme" },
      { kind: "job", id: job.id, tenant: "acme", gang: null, owner: null, from: null, to: "Pending" },
      { kind: "job", id: job.id, tenant: "acme", gang: null, owner: null, from: "Pending", to: "Cancelled" },
      { kind: "tenant", name: "acme" },
    ]);
  });

  it("emits nothing before the outer commit, and nothing for a rolled-back savepoint or transaction", () => {
    const { store, seen } = world();
    store.tenants.create("acme");
    seen.length = 0;
    inTransaction(store.db, () => {
      store.jobs.submit("acme", { name: "kept", spec: opaqueSpec({}) });
      try {
        inTransaction(store.db, () => {
          store.jobs.submit("acme", { name: "undone", spec: opaqueSpec({}) });
          throw new Error("undo this savepoint");
        });
      } catch {
        // expected
      }
      expect(seen).toEqual([]);
    });
    expect(seen.map((c) => c.kind === "job" && store.jobs.get(c.id)?.name)).toEqual(["kept"]);
    expect(() =>
      inTransaction(store.db, () => {
        store.jobs.submit("acme", { name: "lost", spec: opaqueSpec({}) });
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(seen).toHaveLength(1);
  });

  it("a listener that throws does not undo or fail the write", () => {
    const store = Store.open(":memory:");
    store.changes.subscribe(() => {
      throw new Error("listener bug");
    });
    store.tenants.create("acme");
    expect(store.tenants.get("acme")).toBeDefined();
  });
});
