import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeEngine } from "../engines/fake.js";
import { LogArchive } from "./log-archive.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function ran(engine: FakeEngine, name: string, script: string): Promise<string> {
  const id = await engine.create({ name, image: "localhost/busybox:latest", command: ["sh", "-c", script] });
  await engine.start(id);
  await engine.wait(id);
  return id;
}

async function lines(archive: LogArchive, jobId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const l of archive.read(jobId)) out.push(`${l.stream}: ${l.text}`);
  return out;
}

describe("log archive", () => {
  it("keeps a log whole under its cap, and none for a silent attempt", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gp-logs-"));
    dirs.push(dir);
    const engine = new FakeEngine();
    const archive = new LogArchive(dir, { maxBytes: 10_000 });
    await archive.save(engine, "j-1", await ran(engine, "a", "echo one; echo two >&2"));
    expect(await lines(archive, "j-1")).toEqual(["stdout: one", "stderr: two"]);
    await archive.save(engine, "j-1", await ran(engine, "b", "true"));
    expect(archive.has("j-1")).toBe(false);
  });

  it("keeps the archived file when the container is gone (removed by a gpupool killed meanwhile)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gp-logs-"));
    dirs.push(dir);
    const engine = new FakeEngine();
    const archive = new LogArchive(dir);
    const id = await ran(engine, "d", "echo kept");
    await archive.save(engine, "j-3", id);
    await engine.remove(id);
    await expect(archive.save(engine, "j-3", id)).rejects.toThrow(
      /no container|gone: its logs were not read again/,
    );
    expect(await lines(archive, "j-3")).toEqual(["stdout: kept"]);
  });

  it("cuts at the cap: the first lines up to it, then a line saying how much was left out", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gp-logs-"));
    dirs.push(dir);
    const engine = new FakeEngine();
    const archive = new LogArchive(dir, { maxBytes: 2000 });
    const script = Array.from({ length: 200 }, (_, i) => `echo line-${i}`).join("; ");
    await archive.save(engine, "j-2", await ran(engine, "c", script));
    const got = await lines(archive, "j-2");
    const kept = got.slice(0, -1);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept).toEqual(kept.map((_, i) => `stdout: line-${i}`));
    expect(got.at(-1)).toMatch(
      new RegExp(
        `^stderr: \\[gpupool: log cut at 2000 bytes; ${200 - kept.length} more line\\(s\\), \\d+ bytes, not kept\\]$`,
      ),
    );
    // The file holds the kept lines and the marker only.
    expect((await stat(archive.path("j-2"))).size).toBeLessThan(2000 + 200);
  });
});
