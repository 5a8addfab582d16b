import { describe, expect, it } from "vitest";
import type { Controller } from "../agent/controller.js";
import type { GpuDevice, NodeSpec } from "../core/node.js";
import { FakeEngine } from "../engines/fake.js";
import { Store } from "../store/index.js";
import { JobsService } from "./jobs-service.js";

/** MIG slices on real GPUs are refused at submission (the agent does not create MIG instances yet). */

function service(gpus: GpuDevice[]) {
  const store = Store.open(":memory:");
  store.tenants.create("acme");
  const node: NodeSpec = { name: "n1", cpuMilli: 8000, memoryMiB: 65_536, gpus };
  const controller = { opts: { node }, kick() {} } as unknown as Controller;
  return { store, jobs: new JobsService(store, controller, new FakeEngine()) };
}

const caller = { tenant: "acme", admin: false } as const;
const h100 = (extra: Partial<GpuDevice>): GpuDevice => ({
  index: 0,
  uuid: "GPU-1",
  model: "H100-80GB",
  memoryMiB: 81_559,
  ...extra,
});
const spec = (gpu: Record<string, unknown>) => ({
  name: "m",
  image: "localhost/busybox:latest",
  command: ["true"],
  ...gpu,
});

describe("MIG on real GPUs", () => {
  it("refuses a MIG job on a host with a real MIG-enabled GPU, storing nothing", async () => {
    const { store, jobs } = service([h100({ migEnabled: true })]);
    expect(() => jobs.submit(caller, spec({ mig: "1g.10gb" }))).toThrow(
      expect.objectContaining({ code: "GP_MIG_UNSUPPORTED" }),
    );
    expect(store.jobs.list()).toEqual([]);
    // Shares and whole GPUs on the same host are fine.
    const r = await jobs.submit(caller, spec({ gpu: 0.5 }));
    expect(r.jobs[0]!.state).toBe("Pending");
  });

  it("accepts MIG jobs on simulated GPUs", async () => {
    const { jobs } = service([h100({ migEnabled: true, simulated: true })]);
    const r = await jobs.submit(caller, spec({ mig: "1g.10gb" }));
    expect(r.created).toBe(true);
  });
});
