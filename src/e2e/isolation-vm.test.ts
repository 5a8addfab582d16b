import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliServer, gpupool } from "./test-support/gpupool-bin.js";

/**
 * `run --isolation vm` as a user meets it (real bin/gpupool against a real `gpupool up --engine
 * fake`): refused at once without `up --vm-runtime PATH`, accepted and run with it.
 */

const IMAGE = "localhost/busybox:latest";
const dir = mkdtempSync(join(tmpdir(), "gp-vm-cli-"));
const kata = join(dir, "kata-runtime");
writeFileSync(kata, "#!/bin/sh\nexit 1\n");
chmodSync(kata, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("run --isolation vm", () => {
  it("without up --vm-runtime: refused at submission, exit 2, saying how to configure one", async () => {
    const srv = await cliServer(["--simulate", "1xA100-80GB"]);
    try {
      const r = await gpupool(["run", "--isolation", "vm", IMAGE, "--", "true"], srv.env);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(/error\[GP_RUNTIME_UNAVAILABLE\]: .*isolation vm has no OCI runtime configured/);
      expect(r.err).toMatch(/--vm-runtime PATH/);
    } finally {
      await srv.close();
    }
  }, 60_000);

  it("with up --vm-runtime PATH: the job runs and the runtime is listed in /v1/info", async () => {
    const srv = await cliServer(["--simulate", "1xA100-80GB", "--vm-runtime", kata]);
    try {
      const r = await gpupool(["run", "--isolation", "vm", "--wait", IMAGE, "--", "echo", "hello"], srv.env);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain("hello");
      const info = (await (
        await fetch(`${srv.url}/v1/info`, { headers: { authorization: `Bearer ${srv.env.GPUPOOL_TOKEN}` } })
      ).json()) as { runtimes: string[] };
      expect(info.runtimes).toContain("kata-runtime");
    } finally {
      await srv.close();
    }
  }, 60_000);
});
