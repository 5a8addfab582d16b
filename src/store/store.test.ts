import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./db.js";
import { canTransition, type JobState } from "./job-states.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import { Store } from "./store.js";
import { opaqueSpec } from "./test-support/opaque-spec.js";
import { LAST_USED_RESOLUTION_MS } from "./tokens.js";
import { TEST_ALLOC, useTempDirs } from "./test-support/temp-store.js";

const tempDir = useTempDirs("gp-store-");
const ALLOC = TEST_ALLOC;

describe("Store: opening and migrations", () => {
  it("uses WAL, synchronous=NORMAL (durable across kill -9 in WAL mode), foreign keys and a 5 s busy timeout", () => {
    const store = Store.openDir(tempDir());
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(store.db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(store.db.pragma("busy_timeout", { simple: true })).toBe(5000);
    store.close();
  });

  it("applies migrations once: reopening runs none and keeps the data", () => {
    const dir = tempDir();
    const a = Store.openDir(dir);
    a.tenants.create("acme");
    a.close();
    const db = openDatabase(join(dir, "gpupool.db"));
    expect(migrate(db)).toEqual([]);
    expect(db.prepare("SELECT version FROM schema_migrations").all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    db.close();
    const b = Store.openDir(dir);
    expect(b.tenants.list().map((t) => t.name)).toEqual(["acme"]);
    b.close();
  });

  it("runs only the new migrations, in order, on an older database", () => {
    const db = openDatabase(":memory:");
    const first = MIGRATIONS[0];
    if (!first) throw new Error("no migrations");
    expect(migrate(db, [first])).toEqual([1]);
    const next = { version: 2, name: "test column", sql: "ALTER TABLE tenants ADD COLUMN note TEXT" };
    expect(migrate(db, [next, first])).toEqual([2]);
    expect(migrate(db, [first, next])).toEqual([]);
    db.close();
  });

  it("refuses a database written by a newer gpupool (GP_STORE_SCHEMA) without touching it", () => {
    const dir = tempDir();
    Store.openDir(dir).close();
    const db = openDatabase(join(dir, "gpupool.db"));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)").run();
    db.close();
    expect(() => Store.openDir(dir)).toThrow(expect.objectContaining({ code: "GP_STORE_SCHEMA" }));
  });

  it("refuses a path it cannot open or a file that is not a database, naming --data", () => {
    const dir = tempDir();
    expect(() => Store.open(join(dir, "missing-dir", "gpupool.db"))).toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT", message: expect.stringContaining("--data") }),
    );
    writeFileSync(
      join(dir, "junk.db"),
      "this is not sqlite, just text long enough to have a header....................",
    );
    expect(() => Store.open(join(dir, "junk.db"))).toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }),
    );
  });

  it("a failing migration leaves no trace (its transaction rolls back)", () => {
    const db = openDatabase(":memory:");
    const bad = { version: 1, name: "bad", sql: "CREATE TABLE a (x INTEGER); CREATE TABLE a (y INTEGER);" };
    expect(() => migrate(db, [bad])).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").all()).toEqual([]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe("Store: crash safety", () => {
  it("loses nothing committed when the process ends without closing (a second connection sees it all)", () => {
    const dir = tempDir();
    const a = Store.openDir(dir);
    a.tenants.create("acme");
    const { job } = a.jobs.submit("acme", { name: "train", spec: opaqueSpec({ image: "x" }) });
    a.jobs.transition(job.id, "Scheduled", { node: "n1", allocation: ALLOC });
    // no a.close(): the WAL still holds everything, not yet checkpointed
    const b = Store.openDir(dir);
    expect(b.jobs.get(job.id)?.state).toBe("Scheduled");
    expect(b.jobs.events(job.id).map((e) => e.to)).toEqual(["Pending", "Scheduled"]);
    b.close();
    a.db.close();
  });

  it("after kill -9 at a random moment, every committed change is there and every job's event chain is legal", async () => {
    const dir = tempDir();
    const path = join(dir, "gpupool.db");
    const here = fileURLToPath(new URL(".", import.meta.url));
    const seen: { id: string; state: JobState; requestId?: string }[] = [];
    const killAfter = 40 + Math.floor(Math.random() * 120);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          join(here, "test-support/register-ts.mjs"),
          join(here, "test-support/crash-child.ts"),
          path,
          "run1",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let buf = "";
      let err = "";
      child.stderr.on("data", (b: Buffer) => {
        err += b.toString();
      });
      child.stdout.on("data", (b: Buffer) => {
        buf += b.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const line of lines) seen.push(JSON.parse(line));
        if (seen.length >= killAfter) child.kill("SIGKILL");
      });
      child.on("exit", (code, signal) =>
        signal === "SIGKILL" ? resolve() : reject(new Error(`child exited ${code}: ${err}`)),
      );
    });
    expect(seen.length).toBeGreaterThanOrEqual(killAfter);

    const store = Store.open(path);
    expect(store.db.pragma("integrity_check", { simple: true })).toBe("ok");
    for (const s of seen) {
      const job = store.jobs.get(s.id);
      expect(job, `job ${s.id} was committed before the kill`).toBeDefined();
      expect(store.jobs.events(s.id).map((e) => e.to)).toContain(s.state);
    }
    for (const job of store.jobs.list()) {
      const events = store.jobs.events(job.id).filter((e) => e.type !== "container" && e.from !== e.to);
      expect(events[0]).toMatchObject({ type: "submitted", to: "Pending" });
      for (let i = 1; i < events.length; i++) {
        const e = events[i];
        expect(e?.from).toBe(events[i - 1]?.to);
        expect(canTransition(e?.from as JobState, e?.to as JobState)).toBe(true);
      }
      expect(events.at(-1)?.to).toBe(job.state);
    }
    // Restarting the writer re-submits nothing twice: its request ids are already taken.
    const first = seen.find((s) => s.requestId);
    const again = store.jobs.submit("crash", {
      name: "job-0",
      spec: opaqueSpec({ image: "busybox", i: 0 }),
      clientRequestId: first?.requestId as string,
    });
    expect(again).toMatchObject({ created: false, job: { id: first?.id } });
    store.close();
  });
});

describe("Store: API tokens", () => {
  it("stores only a SHA-256 of the token and a short prefix; authenticates and revokes per tenant", () => {
    const dir = tempDir();
    const store = Store.openDir(dir);
    store.tenants.create("acme");
    store.tenants.create("other");
    const { token, record } = store.tokens.create("acme", "ci");
    expect(token).toMatch(/^gp_[A-Za-z0-9_-]{43}$/);
    expect(record.prefix).toBe(token.slice(0, 10));
    expect(store.tokens.authenticate(token)).toMatchObject({ tenant: "acme", id: record.id });
    expect(store.tokens.requireTenant(token)).toBe("acme");
    expect(store.tokens.authenticate(`${token}x`)).toBeUndefined();
    expect(store.tokens.revoke("other", record.id)).toBe(false); // not theirs
    expect(store.tokens.revoke("acme", record.id)).toBe(true);
    expect(store.tokens.authenticate(token)).toBeUndefined();
    expect(() => store.tokens.requireTenant(token)).toThrow(
      expect.objectContaining({ code: "GP_UNAUTHORIZED" }),
    );
    store.close();
    const bytes = readFileSync(join(dir, "gpupool.db"));
    expect(bytes.includes(Buffer.from(token))).toBe(false);
    expect(bytes.includes(Buffer.from(record.prefix))).toBe(true);
  });

  it("requireTenant remembers a valid token but still stamps its last use each minute", () => {
    let now = 1_000_000;
    const store = Store.open(":memory:", { now: () => now });
    store.tenants.create("acme");
    const { token, record } = store.tokens.create("acme");
    const lastUsed = () => store.tokens.list("acme").find((t) => t.id === record.id)?.lastUsedAt;
    expect(store.tokens.requireTenant(token)).toBe("acme");
    expect(lastUsed()).toBe(1_000_000);
    now += LAST_USED_RESOLUTION_MS - 1;
    expect(store.tokens.requireTenant(token)).toBe("acme");
    expect(lastUsed()).toBe(1_000_000);
    now += 1;
    expect(store.tokens.requireTenant(token)).toBe("acme");
    expect(lastUsed()).toBe(1_000_000 + LAST_USED_RESOLUTION_MS);
    store.tokens.revoke("acme", record.id);
    expect(() => store.tokens.requireTenant(token)).toThrow(
      expect.objectContaining({ code: "GP_UNAUTHORIZED" }),
    );
    store.close();
  });
});
