import { describe, expect, it } from "vitest";
import type { Allocation } from "../core/allocation.js";
import { FakeEngine } from "../engines/fake.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { normalizeSpec } from "../server/job-spec.js";
import { Store } from "../store/index.js";
import { Controller } from "./controller.js";
import { sliceFor } from "./workload.js";

/** What the engine is asked to run for a GPU slice: CDI on Podman, env + device mappings on Docker. */

const node = inventoryToNodeSpec(simulateGpus("2xA100-80GB"), { name: "n", cpuMilli: 4000, memoryMiB: 8192 });

function placed(cdi: boolean) {
  const store = Store.open(":memory:");
  store.tenants.create("t");
  const controller = new Controller({
    store,
    engine: new FakeEngine(cdi ? {} : { gpuMode: "deviceRequests" }),
    node,
    instanceId: "i",
    ...(cdi ? { cdi: { kind: "gpupool.dev/slice-test", dir: "/nonexistent" } } : {}),
  });
  const spec = normalizeSpec({ name: "s", image: "localhost/busybox:latest", gpu: 0.5, command: ["true"] });
  let job = store.jobs.submit("t", { name: "s", spec: spec as never }).job;
  const allocation: Allocation = {
    workloadId: job.id,
    node: "n",
    cpuMilli: 1000,
    memoryMiB: 512,
    gpus: [{ index: 1, milli: 500, memoryMiB: 40_960 }],
  };
  store.jobs.transition(job.id, "Scheduled", { node: "n", allocation });
  job = store.jobs.transition(job.id, "Starting");
  return controller.containerSpec(job, sliceFor(job.id, allocation, node));
}

describe("containerSpec for a share of simulated GPU 1", () => {
  it("Docker (no CDI): the slice's env and /dev/null stand-ins at its device paths, no DeviceRequest", () => {
    const spec = placed(false);
    expect(spec.env?.CUDA_VISIBLE_DEVICES).toBe(node.gpus[1]!.uuid);
    expect(spec.devices).toEqual([
      { hostPath: "/dev/null", containerPath: "/dev/nvidia1" },
      { hostPath: "/dev/null", containerPath: "/dev/nvidiactl" },
      { hostPath: "/dev/null", containerPath: "/dev/nvidia-uvm" },
      { hostPath: "/dev/null", containerPath: "/dev/nvidia-uvm-tools" },
    ]);
    expect(spec.gpus?.uuids).toEqual([]);
  });

  it("Podman (CDI): one CDI device named by the slice, nothing else", () => {
    const spec = placed(true);
    expect(spec.gpus?.cdi).toHaveLength(1);
    expect(spec.gpus?.cdi[0]).toMatch(/^gpupool\.dev\/slice-test=j-/);
    expect(spec.devices).toBeUndefined();
    expect(spec.env?.CUDA_VISIBLE_DEVICES).toBeUndefined();
  });
});
