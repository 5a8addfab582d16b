import { describe, expect, it } from "vitest";
import { normalizeSpec } from "../api/job-spec.js";
import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import { DEFAULT_ISOLATION_RUNTIMES } from "../engines/isolation.js";
import { cdiEditsForSlice } from "../node/cdi.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { Store } from "../store/index.js";
import { containerSpec } from "./container-spec.js";
import { migInstanceUuid, sliceFor } from "../node/slice-for.js";

/**
 * What a MIG job's container is given on `--simulate 1xA100-80GB:mig`: exactly its own instance,
 * named by a `MIG-SIM-…` UUID (env on Docker and the fake engine, the CDI device on Podman) and
 * the parent GPU's stand-in device node; never the other instances on the same GPU.
 */

const node = inventoryToNodeSpec(simulateGpus("1xA100-80GB:mig,1xA100-80GB"), {
  name: "n",
  cpuMilli: 2000,
  memoryMiB: 8192,
});

function placedMig(start: number, on: NodeSpec = node) {
  const store = Store.open(":memory:");
  store.tenants.create("t");
  const spec = normalizeSpec({
    name: "m",
    image: "localhost/busybox:latest",
    mig: "1g.10gb",
    command: ["env"],
  });
  let job = store.jobs.submit("t", { name: "m", spec }).job;
  const allocation: Allocation = {
    workloadId: job.id,
    node: "n",
    cpuMilli: 100,
    memoryMiB: 512,
    gpus: [{ index: 0, milli: 0, memoryMiB: 9856, mig: { profile: "1g.10gb", start } }],
  };
  store.jobs.transition(job.id, "Scheduled", { node: "n", allocation });
  job = store.jobs.transition(job.id, "Starting");
  return { job, slice: sliceFor(job.id, allocation, on) };
}

const host = (cdi: boolean) => ({
  node,
  instanceId: "i",
  ...(cdi ? { cdi: { kind: "gpupool.dev/slice-test", dir: "/nonexistent" } } : {}),
  isolation: DEFAULT_ISOLATION_RUNTIMES,
  network: "none" as const,
});

describe("a MIG slice of a simulated MIG-enabled GPU", () => {
  it("Docker / fake engine (no CDI): the env names its own MIG-SIM instance only", () => {
    const { job, slice } = placedMig(3);
    expect(slice).toMatchObject({
      kind: "mig",
      profile: "1g.10gb",
      migUuid: "MIG-SIM-0000-A100-80GB-1g.10gb-3",
    });
    const spec = containerSpec(job, slice, host(false));
    expect(spec.env).toMatchObject({
      NVIDIA_VISIBLE_DEVICES: "MIG-SIM-0000-A100-80GB-1g.10gb-3",
      CUDA_VISIBLE_DEVICES: "MIG-SIM-0000-A100-80GB-1g.10gb-3",
      GPUPOOL_SLICE_KIND: "mig",
      GPUPOOL_MIG_PROFILE: "1g.10gb",
      GPUPOOL_SIMULATED: "1",
    });
    // The parent GPU's node (a /dev/null stand-in), as the NVIDIA runtime gives a MIG device's container.
    expect(spec.devices).toContainEqual({ hostPath: "/dev/null", containerPath: "/dev/nvidia0" });
    expect(spec.devices).not.toContainEqual(expect.objectContaining({ containerPath: "/dev/nvidia1" }));
    expect(spec.gpus?.uuids).toEqual([]);
  });

  it("Podman (CDI): one CDI device whose env names the instance", () => {
    const { job, slice } = placedMig(5);
    const spec = containerSpec(job, slice, host(true));
    expect(spec.gpus?.cdi).toEqual([`gpupool.dev/slice-test=${job.id}`]);
    expect(spec.env?.NVIDIA_VISIBLE_DEVICES).toBeUndefined();
    expect(cdiEditsForSlice(slice!).env).toContain("NVIDIA_VISIBLE_DEVICES=MIG-SIM-0000-A100-80GB-1g.10gb-5");
  });

  it("the seven 1g.10gb slots of one GPU have seven UUIDs", () => {
    const uuids = [0, 1, 2, 3, 4, 5, 6].map((s) =>
      migInstanceUuid(node, 0, { profile: "1g.10gb", start: s }),
    );
    expect(new Set(uuids).size).toBe(7);
  });
});

describe("a MIG placement on a real GPU (gpupool does not create real instances yet)", () => {
  const real: NodeSpec = { ...node, gpus: node.gpus.map(({ simulated: _, ...g }) => g) };

  it("without a known instance there, the slice is refused (GP_MIG_UNSUPPORTED), not made up", () => {
    expect(() => placedMig(0, real)).toThrow(expect.objectContaining({ code: "GP_MIG_UNSUPPORTED" }));
  });

  it("an instance the node spec knows at that placement is handed out by its UUID", () => {
    const known: NodeSpec = {
      ...real,
      gpus: real.gpus.map((g) =>
        g.index === 0 ? { ...g, migInstances: [{ profile: "1g.10gb", start: 2, uuid: "MIG-4a1b" }] } : g,
      ),
    };
    expect(placedMig(2, known).slice).toMatchObject({ kind: "mig", migUuid: "MIG-4a1b" });
  });
});
