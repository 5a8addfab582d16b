import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findOnPath } from "../engines/detect.js";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { ensureBusyboxImage } from "../engines/test-support/busybox-image.js";
import { type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * `gpupool up --vm-runtime PATH` on real Podman: a vm job's container is run by that runtime, through
 * the podman service gpupool owns for it. The runtime here is a stand-in, not a VM: a script that
 * records its calls and hands them to runc (no Kata on this host), so this checks the plumbing, not
 * VM isolation.
 */

const runc = findOnPath("runc", process.env.PATH);
const why = podmanUnavailable() ?? (runc ? undefined : "runc is not on PATH");
if (why) console.warn(`skipping the --vm-runtime Podman test: ${why}`);

describe.skipIf(why !== undefined)("isolation: vm on real Podman with --vm-runtime", () => {
  const dir = mkdtempSync(join(tmpdir(), "gp-vm-podman-"));
  const calls = join(dir, "calls");
  const runtime = join(dir, "vm-standin");
  let t: TestServer;
  beforeAll(async () => {
    writeFileSync(runtime, `#!/bin/sh\necho "$@" >> ${calls}\nexec ${runc} "$@"\n`);
    chmodSync(runtime, 0o755);
    t = await testServer({ engine: "podman", simulate: "1xA100-80GB", vmRuntime: runtime });
    await ensureBusyboxImage(t.server.engine);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("runs the job's container with the configured runtime", async () => {
    const [job] = await t.submit(testJob("vm", { isolation: "vm", gpu: 0.5, command: ["echo", "in-vm"] }));
    const done = await t.until(job!.id, (j) => j.state === "Succeeded" || j.state === "Failed", 60_000);
    expect(done.state, done.reason ?? "").toBe("Succeeded");
    expect(await t.logs(job!.id)).toContain("in-vm");
    expect(existsSync(calls)).toBe(true);
    expect(readFileSync(calls, "utf8")).toMatch(/\bcreate\b/);
    await t.call("DELETE", `/v1/jobs/${job!.id}`);
  });
});
