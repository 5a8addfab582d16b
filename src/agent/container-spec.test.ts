import { describe, expect, it } from "vitest";
import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import { cdiEditsForSlice } from "../node/cdi.js";
import { MpsControl } from "../node/mps-control.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { normalizeSpec } from "../api/job-spec.js";
import { Store } from "../store/index.js";
import { containerSpec } from "./container-spec.js";
import { DEFAULT_ISOLATION_RUNTIMES } from "../engines/isolation.js";
import { sliceFor } from "../node/slice-for.js";

/** What the engine is asked to run for a GPU slice: CDI on Podman, env + device mappings on Docker. */

const node = inventoryToNodeSpec(simulateGpus("2xA100-80GB"), { name: "n", cpuMilli: 4000, memoryMiB: 8192 });

/** The same GPUs as real ones (what nvidia-smi would report: no `simulated`). */
const realNode: NodeSpec = {
  ...node,
  gpus: node.gpus.map(({ simulated: _, ...g }) => g),
};

function placed(
  cdi: boolean,
  opts: {
    node?: NodeSpec;
    mps?: MpsControl;
    gpu?: number;
    gpuMemory?: string;
    cpu?: string;
    memory?: string;
  } = {},
) {
  const on = opts.node ?? node;
  const store = Store.open(":memory:");
  store.tenants.create("t");
  const host = {
    node: on,
    instanceId: "i",
    ...(cdi ? { cdi: { kind: "gpupool.dev/slice-test", dir: "/nonexistent" } } : {}),
    isolation: DEFAULT_ISOLATION_RUNTIMES,
    network: "none" as const,
  };
  const gpu = opts.gpu ?? 0.5;
  const memoryMiB = opts.gpuMemory ? 10_240 : 0;
  const spec = normalizeSpec({
    name: "s",
    image: "localhost/busybox:latest",
    gpu,
    ...(opts.gpuMemory ? { gpuMemory: opts.gpuMemory } : {}),
    ...(opts.cpu ? { cpu: opts.cpu } : {}),
    ...(opts.memory ? { memory: opts.memory } : {}),
    command: ["true"],
  });
  let job = store.jobs.submit("t", { name: "s", spec }).job;
  const allocation: Allocation = {
    workloadId: job.id,
    node: "n",
    cpuMilli: 1000,
    memoryMiB: 512,
    gpus: [{ index: 1, milli: gpu * 1000, memoryMiB: memoryMiB || 40_960 }],
  };
  store.jobs.transition(job.id, "Scheduled", { node: "n", allocation });
  job = store.jobs.transition(job.id, "Starting");
  const slice = sliceFor(job.id, allocation, on, opts.mps);
  return { spec: containerSpec(job, slice, host), slice };
}

describe("containerSpec for a share of simulated GPU 1", () => {
  it("Docker (no CDI): the slice's env and /dev/null stand-ins at its device paths, no DeviceRequest", () => {
    const { spec } = placed(false);
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
    const { spec } = placed(true);
    expect(spec.gpus?.cdi).toHaveLength(1);
    expect(spec.gpus?.cdi[0]).toMatch(/^gpupool\.dev\/slice-test=j-/);
    expect(spec.devices).toBeUndefined();
    expect(spec.env?.CUDA_VISIBLE_DEVICES).toBeUndefined();
  });
});

describe("containerSpec for a share of a real GPU with MPS (gpu 0.25, gpuMemory 10Gi)", () => {
  const mps = new MpsControl({ root: "/run/gpupool/mps" });
  const uuid = realNode.gpus[1]!.uuid!;
  const pipe = `/run/gpupool/mps/${uuid}/pipe`;
  const share = { node: realNode, mps, gpu: 0.25, gpuMemory: "10Gi" } as const;

  it("Docker (no CDI): MPS env, the host's IPC namespace, the daemon's pipe directory mounted, a DeviceRequest", () => {
    const { spec, slice } = placed(false, share);
    expect(slice).toMatchObject({ kind: "mps", activeThreadPercentage: 25, memoryLimitMiB: 10_240 });
    expect(spec.env).toMatchObject({
      GPUPOOL_SLICE_KIND: "mps",
      CUDA_VISIBLE_DEVICES: uuid,
      CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: "25",
      CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: "0=10240M",
      CUDA_MPS_PIPE_DIRECTORY: pipe,
    });
    expect(spec.env).not.toHaveProperty("GPUPOOL_GPU_MEMORY_LIMIT_MIB");
    expect(spec.ipc).toBe("host");
    expect(spec.mounts).toEqual([{ hostPath: pipe, containerPath: pipe }]);
    expect(spec.gpus?.uuids).toEqual([uuid]);
    expect(spec.devices).toBeUndefined();
  });

  it("Podman (CDI): the host's IPC namespace and the slice's CDI device, which carries the env and the pipe mount", () => {
    const { spec, slice } = placed(true, share);
    expect(spec.ipc).toBe("host");
    expect(spec.mounts).toBeUndefined();
    expect(spec.gpus?.cdi).toEqual([`gpupool.dev/slice-test=${slice!.id}`]);
    const edits = cdiEditsForSlice(slice!);
    expect(edits.env).toEqual(
      expect.arrayContaining([
        "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25",
        "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=10240M",
        `CUDA_MPS_PIPE_DIRECTORY=${pipe}`,
      ]),
    );
    expect(edits.mounts).toEqual([{ hostPath: pipe, containerPath: pipe, options: ["rbind", "rw"] }]);
  });

  it("stays time-sliced without MPS, on simulated GPUs, and for a share of a whole GPU's compute", () => {
    for (const { spec, slice } of [
      placed(false, { ...share, mps: undefined as never }),
      placed(false, { ...share, node }),
      placed(false, { ...share, gpu: 1 }),
    ]) {
      expect(slice?.kind).not.toBe("mps");
      expect(spec.ipc).toBeUndefined();
      expect(spec.mounts).toBeUndefined();
      expect(spec.env).not.toHaveProperty("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE");
    }
  });
});

describe("containerSpec: a CPU quota and a memory limit only when the spec asks for them", () => {
  it("neither asked: no cpuMilli or memoryMiB at all, so the engine sets no quota or limit", () => {
    for (const cdi of [false, true]) {
      const { spec } = placed(cdi);
      expect(spec).not.toHaveProperty("cpuMilli");
      expect(spec).not.toHaveProperty("memoryMiB");
    }
  });

  it("each asked: passed on as given, the other still absent", () => {
    expect(placed(true, { cpu: "500m" }).spec).toMatchObject({ cpuMilli: 500 });
    expect(placed(true, { cpu: "500m" }).spec).not.toHaveProperty("memoryMiB");
    expect(placed(true, { memory: "1Gi" }).spec).toMatchObject({ memoryMiB: 1024 });
    expect(placed(true, { memory: "1Gi" }).spec).not.toHaveProperty("cpuMilli");
  });
});
