import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ContainerSpec } from "../engines/engine.js";
import { FakeEngine } from "../engines/fake.js";
import { testJob, testServer } from "./test-support/server.js";
import { startServer } from "./up.js";

/**
 * `isolation: vm` is what `gpupool up --vm-runtime PATH` makes it: without one it is refused at
 * submission; with one, the job's container is created with that OCI runtime. (Against real Podman,
 * with a stand-in runtime: vm-runtime.podman.test.ts. No real VM runtime, e.g. Kata, is run here.)
 */

const dir = mkdtempSync(join(tmpdir(), "gp-vm-"));
const kata = join(dir, "kata-runtime");
writeFileSync(kata, "#!/bin/sh\nexit 1\n");
chmodSync(kata, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake engine offering `runtimes` that records every container spec it is asked to create. */
function recordingEngine(runtimes: string[]): { engine: FakeEngine; created: ContainerSpec[] } {
  const engine = new FakeEngine({ runtimes });
  const created: ContainerSpec[] = [];
  const create = engine.create.bind(engine);
  engine.create = (spec) => {
    created.push(spec);
    return create(spec);
  };
  return { engine, created };
}

describe("isolation: vm", () => {
  it("without --vm-runtime: refused at submission with GP_RUNTIME_UNAVAILABLE, nothing stored", async () => {
    const t = await testServer();
    try {
      const r = await t.call("POST", "/v1/jobs", testJob("v", { isolation: "vm" }));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: "GP_RUNTIME_UNAVAILABLE" });
      expect(r.body.message).toMatch(/isolation vm has no OCI runtime configured/);
      expect((await t.call("GET", "/v1/jobs?all=true")).body.jobs).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("with --vm-runtime: the job's container is created with that runtime (by its file name) and runs", async () => {
    const { engine, created } = recordingEngine(["runsc", "kata-runtime"]);
    const t = await testServer({ vmRuntime: kata, engineInstance: engine });
    try {
      const [vm] = await t.submit(testJob("v", { isolation: "vm", gpu: 0.5, command: ["true"] }));
      const [plain] = await t.submit(testJob("c", { command: ["true"] }));
      await t.until(vm!.id, (j) => j.state === "Succeeded");
      await t.until(plain!.id, (j) => j.state === "Succeeded");
      const specOf = (id: string) => created.find((s) => s.name.startsWith(`gpupool-${id}-`));
      expect(specOf(vm!.id)?.runtime).toBe("kata-runtime");
      expect(specOf(plain!.id)).toBeDefined();
      expect(specOf(plain!.id)?.runtime).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it("with --vm-runtime the engine does not offer: refused at submission, naming the runtime", async () => {
    const t = await testServer({ vmRuntime: kata, engineInstance: new FakeEngine({ runtimes: ["runsc"] }) });
    try {
      const r = await t.call("POST", "/v1/jobs", testJob("v", { isolation: "vm" }));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: "GP_RUNTIME_UNAVAILABLE" });
      expect(r.body.message).toMatch(/needs OCI runtime kata-runtime, which the engine does not offer/);
    } finally {
      await t.close();
    }
  });

  it("a --vm-runtime that is not there fails the start with GP_INVALID_ARGUMENT, creating nothing", async () => {
    const data = mkdtempSync(join(tmpdir(), "gp-vm-data-"));
    try {
      await expect(
        startServer({
          data,
          listen: "127.0.0.1:0",
          engineInstance: new FakeEngine(),
          simulate: "1xA100-80GB",
          vmRuntime: join(dir, "missing/kata-runtime"),
        }),
      ).rejects.toMatchObject({
        code: "GP_INVALID_ARGUMENT",
        message: expect.stringMatching(/no such file/),
      });
      expect(readdirSync(data)).toEqual([]);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
