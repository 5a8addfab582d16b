import { describe, expect, it } from "vitest";
import type { ContainerHost } from "../agent/container-spec.js";
import { hostCapabilities } from "../agent/host-capabilities.js";
import type { NodeAgent } from "../agent/node-agent.js";
import { DEFAULT_ISOLATION_RUNTIMES } from "../engines/isolation.js";
import type { GpuDevice, NodeSpec } from "../core/node.js";
import { FakeEngine } from "../engines/fake.js";
import { Store } from "../store/index.js";
import { JobsService } from "./jobs-service.js";

/**
 * Requests a host with real GPUs cannot serve are refused at submission: MIG slices (the agent does
 * not create MIG instances yet) and GPU jobs in a gVisor sandbox without nvproxy.
 */

function service(gpus: GpuDevice[], opts: Record<string, unknown> = {}) {
  const store = Store.open(":memory:");
  store.tenants.create("acme");
  const node: NodeSpec = { name: "n1", cpuMilli: 8000, memoryMiB: 65_536, gpus };
  const host = {
    node,
    instanceId: "i",
    isolation: DEFAULT_ISOLATION_RUNTIMES,
    network: "none",
    ...opts,
  } as const;
  const agent = { capabilities: hostCapabilities(host as ContainerHost) } as NodeAgent;
  return { store, jobs: new JobsService(store, agent, new FakeEngine()) };
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

describe("refused on real GPUs", () => {
  it("refuses a MIG job on a host with a real MIG-enabled GPU, storing nothing", async () => {
    const { store, jobs } = service([h100({ migEnabled: true }), h100({ index: 1, uuid: "GPU-2" })]);
    expect(() => jobs.submit(caller, spec({ mig: "1g.10gb" }))).toThrow(
      expect.objectContaining({ code: "GP_MIG_UNSUPPORTED" }),
    );
    expect(store.jobs.list()).toEqual([]);
    // Shares and whole GPUs on the host's other (non-MIG) GPU are fine.
    const r = await jobs.submit(caller, spec({ gpu: 0.5 }));
    expect(r.jobs[0]!.state).toBe("Pending");
  });

  it("accepts MIG jobs on simulated GPUs", async () => {
    const { jobs } = service([h100({ migEnabled: true, simulated: true })]);
    const r = await jobs.submit(caller, spec({ mig: "1g.10gb" }));
    expect(r.created).toBe(true);
  });

  it("refuses a sandboxed GPU job on real GPUs unless runsc runs with nvproxy; CPU-only sandboxes are fine", async () => {
    const { store, jobs } = service([h100({})]);
    expect(() => jobs.submit(caller, spec({ gpu: 0.5, isolation: "sandbox" }))).toThrow(
      expect.objectContaining({ code: "GP_RUNTIME_UNAVAILABLE", message: expect.stringMatching(/nvproxy/) }),
    );
    expect(store.jobs.list()).toEqual([]);
    expect((await jobs.submit(caller, spec({ isolation: "sandbox" }))).created).toBe(true);
    const nv = service([h100({})], {
      isolation: { sandbox: { name: "runsc", path: "/usr/bin/runsc", flags: ["network=none", "nvproxy"] } },
    });
    expect((await nv.jobs.submit(caller, spec({ gpu: 0.5, isolation: "sandbox" }))).created).toBe(true);
    const sim = service([h100({ simulated: true })]);
    expect((await sim.jobs.submit(caller, spec({ gpu: 0.5, isolation: "sandbox" }))).created).toBe(true);
  });
});
