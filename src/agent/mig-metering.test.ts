import { afterEach, describe, expect, it } from "vitest";
import { AgentWorld } from "./test-support/agent-world.js";
import { meteredGpuMilli } from "./workload.js";

/** A MIG instance is billed its share of its GPU's compute, like a share or a whole GPU. */

describe("meteredGpuMilli", () => {
  const gpu = (extra: object) => ({ index: 0, milli: 0, memoryMiB: 9984, ...extra });
  const alloc = (gpus: object[]) =>
    ({ workloadId: "w", node: "n", cpuMilli: 0, memoryMiB: 0, gpus }) as never;
  it.each([
    ["a whole GPU", [gpu({ milli: 1000 })], 1000],
    ["a 0.25 share", [gpu({ milli: 250 })], 250],
    ["a 1g.10gb on an A100/H100 (1 of 7 slices)", [gpu({ mig: { profile: "1g.10gb", start: 0 } })], 143],
    ["a 3g.40gb (3 of 7)", [gpu({ mig: { profile: "3g.40gb", start: 4 } })], 429],
    ["a 1g.6gb on an A30 (1 of 4)", [gpu({ mig: { profile: "1g.6gb", start: 0 } })], 250],
  ])("%s", (_name, gpus, milli) => expect(meteredGpuMilli(alloc(gpus))).toBe(milli));
});

let w: AgentWorld;
afterEach(async () => {
  await w?.close();
});

describe("a MIG job's usage", () => {
  it("is its instance's compute share × its run time (it was 0)", async () => {
    w = new AgentWorld("1xA100-80GB:mig");
    await w.agent();
    const job = w.submit("mig", { mig: "1g.10gb", command: ["sleep", "0.3"] });
    await w.until(job.id, (j) => j.state === "Succeeded");
    const u = w.store.usage.ofJob(job.id).gpuMilliMs;
    expect(u).toBeGreaterThanOrEqual(143 * 250);
    expect(u % 143).toBe(0);
  });
});
