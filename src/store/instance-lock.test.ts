import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { acquireInstanceLock } from "./instance-lock.js";
import { Store } from "./store.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "gp-lock-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("instance lock", () => {
  it("lets one holder at a time use a data directory", () => {
    const dir = tempDir();
    const first = acquireInstanceLock(dir);
    expect(() => acquireInstanceLock(dir)).toThrow(expect.objectContaining({ code: "GP_STORE_BUSY" }));
    first.release();
    acquireInstanceLock(dir).release();
  });

  it("is freed by kill -9 of the holder", async () => {
    const dir = tempDir();
    const here = fileURLToPath(new URL(".", import.meta.url));
    const child = spawn(
      process.execPath,
      ["--import", join(here, "test-support/register-ts.mjs"), join(here, "test-support/lock-child.ts"), dir],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (b: Buffer) => b.toString().includes("locked") && resolve()),
    );
    expect(() => acquireInstanceLock(dir)).toThrow(expect.objectContaining({ code: "GP_STORE_BUSY" }));
    child.kill("SIGKILL");
    await exited;
    acquireInstanceLock(dir).release();
  });
});

describe("store under contention", () => {
  it("a write blocked by another connection's transaction fails with GP_STORE_BUSY after the busy timeout", () => {
    const dir = tempDir();
    const a = Store.openDir(dir);
    const b = Store.openDir(dir, { busyTimeoutMs: 100 });
    a.tenants.create("acme");
    a.db.prepare("BEGIN IMMEDIATE").run();
    try {
      expect(() => b.tenants.create("globex")).toThrow(expect.objectContaining({ code: "GP_STORE_BUSY" }));
      expect(b.tenants.list().map((t) => t.name)).toEqual(["acme"]); // readers are not blocked (WAL)
    } finally {
      a.db.prepare("ROLLBACK").run();
    }
    expect(b.tenants.create("globex").name).toBe("globex");
    a.close();
    b.close();
  });

  it("keeps one instance id per data directory across reopenings", () => {
    const dir = tempDir();
    const a = Store.openDir(dir);
    const id = a.instanceId();
    a.close();
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    const b = Store.openDir(dir);
    expect(b.instanceId()).toBe(id);
    b.close();
    const other = Store.openDir(tempDir());
    expect(other.instanceId()).not.toBe(id);
    other.close();
  });
});
