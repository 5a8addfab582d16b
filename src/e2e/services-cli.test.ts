import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCommand } from "../cli/client/job-views.js";
import { applyCommand, rmCommand, stopCommand } from "../cli/client/jobs.js";
import { scaleCommand, servicesCommand } from "../cli/client/services.js";
import { isGpupoolError } from "../core/errors.js";
import { type TestServer, testServer } from "../server/test-support/server.js";
import { adminFlags, capture } from "./test-support/cli-io.js";

/** Services from the CLI against a real server on loopback (fake engine): apply, services, scale, get, apply again (update), stop, rm. */

describe("services from the CLI", () => {
  let t: TestServer;
  let flags: { server: string; token: string; config: string };
  let cleanup = async () => {};
  beforeAll(async () => {
    t = await testServer({ simulate: "2xA100-80GB" });
    ({ flags, cleanup } = await adminFlags(t.server.url));
  });
  afterAll(async () => {
    await t?.close();
    await cleanup();
  });

  const until = async (ok: (out: string) => boolean): Promise<string> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const io = capture();
      await servicesCommand(flags, io);
      if (ok(io.stdout())) return io.stdout();
      if (Date.now() > deadline) throw new Error(`not reached: ${io.stdout()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it("apply creates it, scale changes it, apply again rolls it over, stop and rm end it", async () => {
    const file = join(t.dir, "web.yaml");
    const yaml = (version: string) =>
      [
        "name: web",
        "image: localhost/busybox:latest",
        "command: [sleep, '600']",
        "gpu: 0.25",
        "stopGraceSeconds: 1",
        `env: {VERSION: "${version}"}`,
        "service:",
        "  replicas: 2",
        "",
      ].join("\n");
    writeFileSync(file, yaml("1"));
    const applied = capture();
    expect(await applyCommand(file, flags, applied)).toBe(0);
    expect(applied.stdout()).toMatch(/web-0 Pending\n[\s\S]*web-1 Pending/);
    await until((out) => /web\s+Running\s+2\/2\s+2/.test(out));

    const scaled = capture();
    expect(await scaleCommand("web", "3", flags, scaled)).toBe(0);
    expect(scaled.stdout()).toBe("web scaled to 3 (2 ready now)\n");
    await until((out) => /web\s+Running\s+3\/3/.test(out));
    try {
      await scaleCommand("web", "three", flags, capture());
      expect.unreachable();
    } catch (err) {
      expect(isGpupoolError(err) && err.code).toBe("GP_INVALID_ARGUMENT");
    }

    writeFileSync(file, yaml("2"));
    const updated = capture();
    expect(await applyCommand(file, flags, updated)).toBe(0);
    expect(updated.stderr()).toMatch(/service web \(s-\S+\) updated to generation 2/);
    await until((out) => /web\s+Running\s+3\/3\s+3/.test(out));
    const got = capture();
    await getCommand("web", { ...flags, output: "json" }, got);
    expect(JSON.parse(got.stdout()).service).toMatchObject({
      name: "web",
      generation: 2,
      desired: 3,
      updated: 3,
    });

    const stopped = capture();
    expect(await stopCommand(["web"], flags, stopped)).toBe(0);
    expect(stopped.stdout()).toMatch(/^s-\S+ Cancelled\n$/);
    const gone = capture();
    await rmCommand(["web"], flags, gone);
    expect(gone.stdout()).toMatch(/^s-\S+ removed \(with its replicas\)\n$/);
    expect(await until((out) => !out.includes("web"))).not.toContain("web");
  }, 60_000);
});
