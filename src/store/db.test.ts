import { describe, expect, it } from "vitest";
import { inTransaction, openDatabase } from "./db.js";

function db() {
  const d = openDatabase(":memory:");
  d.exec("CREATE TABLE t (x INTEGER NOT NULL)");
  return d;
}
const xs = (d: ReturnType<typeof db>) =>
  (d.prepare("SELECT x FROM t ORDER BY x").all() as { x: number }[]).map((r) => r.x);

describe("inTransaction", () => {
  it("commits all of fn, or nothing when it throws", () => {
    const d = db();
    expect(inTransaction(d, () => d.prepare("INSERT INTO t VALUES (1)").run().changes)).toBe(1);
    expect(() =>
      inTransaction(d, () => {
        d.prepare("INSERT INTO t VALUES (2)").run();
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(xs(d)).toEqual([1]);
    expect(d.inTransaction).toBe(false);
  });

  it("nested: a throw undoes only the inner writes; the outer ones commit", () => {
    const d = db();
    inTransaction(d, () => {
      d.prepare("INSERT INTO t VALUES (1)").run();
      expect(() =>
        inTransaction(d, () => {
          d.prepare("INSERT INTO t VALUES (2)").run();
          inTransaction(d, () => d.prepare("INSERT INTO t VALUES (3)").run());
          throw new Error("inner");
        }),
      ).toThrow("inner");
      inTransaction(d, () => d.prepare("INSERT INTO t VALUES (4)").run());
    });
    expect(xs(d)).toEqual([1, 4]);
  });

  it("an outer throw undoes the inner writes that had succeeded", () => {
    const d = db();
    expect(() =>
      inTransaction(d, () => {
        inTransaction(d, () => d.prepare("INSERT INTO t VALUES (1)").run());
        throw new Error("outer");
      }),
    ).toThrow("outer");
    expect(xs(d)).toEqual([]);
  });

  it("refuses an async fn (its writes could not be inside the transaction) and writes nothing", () => {
    const d = db();
    expect(() =>
      inTransaction(d, async () => {
        d.prepare("INSERT INTO t VALUES (1)").run();
      }),
    ).toThrow(/must not be async/);
    expect(xs(d)).toEqual([]);
    expect(d.inTransaction).toBe(false);
  });

  it("a constraint error rolls back and leaves the connection usable", () => {
    const d = db();
    expect(() => inTransaction(d, () => d.prepare("INSERT INTO t VALUES (NULL)").run())).toThrow(/NOT NULL/);
    inTransaction(d, () => d.prepare("INSERT INTO t VALUES (5)").run());
    expect(xs(d)).toEqual([5]);
  });
});
