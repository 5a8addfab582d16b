import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cliServer, gpupool } from "./test-support/gpupool-bin.js";

/**
 * Defaults that fit the host (real bin/gpupool against a real server): a job that asks no CPU
 * reserves none, as in Kubernetes, so GPU shares are bounded by the GPUs, not by a 2-core host.
 */

let srv: CliServer;
beforeAll(async () => {
  srv = await cliServer(["--simulate", "2xA100-80GB", "--simulate-cpus", "2"]);
}, 60_000);
afterAll(async () => {
  await srv?.close();
});

const IMAGE = "localhost/busybox:latest";

interface Listed {
  readonly jobs: readonly { readonly id: string; readonly state: string }[];
}

async function states(): Promise<string[]> {
  const r = await gpupool(["ps", "-o", "json"], srv.env);
  expect(r.code, r.err).toBe(0);
  return (JSON.parse(r.out) as Listed).jobs.map((j) => j.state);
}

describe("acceptance 6: a 2-core simulated host with 2 GPUs", () => {
  it("the node has the 2 CPUs --simulate-cpus gave it", async () => {
    const r = await gpupool(["nodes", "-o", "json"], srv.env);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).nodes[0]).toMatchObject({ cpuMilli: 2000, gpus: 2 });
  });

  it("eight --gpu 0.25 jobs without --cpu are all Running at once, reserving no CPU", async () => {
    for (let i = 0; i < 8; i++) {
      const r = await gpupool(["run", "--gpu", "0.25", IMAGE, "--", "sleep", "300"], srv.env);
      expect(r.code, r.err).toBe(0);
    }
    const deadline = Date.now() + 15_000;
    let seen = await states();
    while (seen.filter((s) => s === "Running").length < 8 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      seen = await states();
    }
    expect(seen.filter((s) => s === "Running")).toHaveLength(8);
    const nodes = await gpupool(["nodes", "-o", "json"], srv.env);
    expect(JSON.parse(nodes.out).nodes[0].used).toMatchObject({ cpuMilli: 0, memoryMiB: 0, gpuMilli: 2000 });
  });

  it("a job that asks for more CPUs than the node's refuses at once, naming them", async () => {
    const r = await gpupool(["run", "--cpu", "3", IMAGE, "--", "true"], srv.env);
    expect(r.code, r.err).toBe(5);
    expect(r.err).toMatch(/error\[GP_NEVER_FITS\].*asks 3 CPUs; the largest node has 2/);
  });
});

describe("gpupool up --simulate-cpus", () => {
  it("refuses a count that is not a whole number of CPUs, before starting anything", async () => {
    const data = await mkdtemp(join(tmpdir(), "gp-cpus-"));
    try {
      const r = await gpupool(
        ["up", "--engine", "fake", "--listen", "127.0.0.1:0", "--data", data, "--simulate-cpus", "1.5"],
        srv.env,
      );
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/error\[GP_INVALID_ARGUMENT\]: --simulate-cpus must be a whole number/);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});
