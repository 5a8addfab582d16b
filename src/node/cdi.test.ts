import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CDI_VERSION,
  cdiDeviceName,
  cdiEditsForSlice,
  cdiSpecForSlices,
  removeCdiSpec,
  writeCdiSpec,
} from "./cdi.js";
import { dockerConfigForSlice } from "./docker-device-requests.js";
import type { Slice } from "./slice.js";

const real0 = { index: 0, uuid: "GPU-aaaa", minor: 3 };
const sim1 = { index: 1, uuid: "GPU-SIM-0001-T4", simulated: true };

const SLICES: Slice[] = [
  { kind: "whole", id: "whole-a", gpus: [real0] },
  {
    kind: "mig",
    id: "mig-b",
    gpu: real0,
    migUuid: "MIG-1",
    profile: "1g.10gb",
    capDevices: ["/dev/nvidia-caps/nvidia-cap21"],
  },
  {
    kind: "mps",
    id: "mps-c",
    gpu: real0,
    activeThreadPercentage: 25,
    memoryLimitMiB: 10240,
    pipeDirectory: "/run/mps/pipe",
  },
  { kind: "timeslice", id: "ts-d", gpu: sim1, memoryLimitMiB: 2048, policy: "warn" },
];

describe("cdiSpecForSlices", () => {
  const spec = cdiSpecForSlices(SLICES, "example.test/gpu");

  it("is a CDI 0.5.0 spec with one device per slice, named by slice id", () => {
    expect(spec.cdiVersion).toBe(CDI_VERSION);
    expect(CDI_VERSION).toBe("0.5.0");
    expect(spec.kind).toBe("example.test/gpu");
    expect(spec.devices.map((d) => d.name)).toEqual(["whole-a", "mig-b", "mps-c", "ts-d"]);
    expect(cdiDeviceName(spec.kind, "mps-c")).toBe("example.test/gpu=mps-c");
  });

  it("real GPUs: /dev/nvidia<minor> + control nodes, no hostPath", () => {
    const nodes = spec.devices[0]!.containerEdits.deviceNodes!;
    expect(nodes.map((n) => n.path)).toEqual([
      "/dev/nvidia3",
      "/dev/nvidiactl",
      "/dev/nvidia-uvm",
      "/dev/nvidia-uvm-tools",
    ]);
    expect(nodes.every((n) => n.hostPath === undefined)).toBe(true);
  });

  it("MIG adds its capability nodes; MPS mounts the pipe directory", () => {
    expect(spec.devices[1]!.containerEdits.deviceNodes!.map((n) => n.path)).toContain(
      "/dev/nvidia-caps/nvidia-cap21",
    );
    expect(spec.devices[1]!.containerEdits.env).toContain("NVIDIA_VISIBLE_DEVICES=MIG-1");
    expect(spec.devices[2]!.containerEdits.mounts).toEqual([
      { hostPath: "/run/mps/pipe", containerPath: "/run/mps/pipe", options: ["rbind", "rw"] },
    ]);
    expect(spec.devices[2]!.containerEdits.env).toEqual(
      expect.arrayContaining([
        "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25",
        "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=10240M",
      ]),
    );
  });

  it("simulated GPUs: every node is backed by /dev/null", () => {
    const nodes = spec.devices[3]!.containerEdits.deviceNodes!;
    expect(nodes[0]).toEqual({ path: "/dev/nvidia1", hostPath: "/dev/null", permissions: "rw" });
    expect(nodes.every((n) => n.hostPath === "/dev/null")).toBe(true);
    expect(spec.devices[3]!.containerEdits.env).toContain("GPUPOOL_SIMULATED=1");
  });

  it("common edits (driver mounts and hooks) go to the spec's top-level containerEdits", () => {
    const common = {
      mounts: [
        {
          hostPath: "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
          containerPath: "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
          options: ["ro", "nosuid", "nodev", "bind"],
        },
      ],
      hooks: [
        {
          hookName: "createContainer",
          path: "/usr/bin/nvidia-ctk",
          args: ["nvidia-ctk", "hook", "update-ldcache"],
        },
      ],
    };
    expect(cdiSpecForSlices(SLICES, "example.test/gpu", common).containerEdits).toEqual(common);
    expect(spec.containerEdits).toBeUndefined();
  });

  it("rejects bad kinds, bad ids and duplicate ids", () => {
    expect(() => cdiSpecForSlices(SLICES, "nokind")).toThrow(/vendor\.example\/class/);
    expect(() => cdiSpecForSlices([{ kind: "whole", id: "bad id", gpus: [real0] }])).toThrow(
      /slice id "bad id"/,
    );
    expect(() => cdiSpecForSlices([SLICES[0]!, SLICES[0]!])).toThrow(/share the id/);
  });

  it("writes atomically to vendor-class.json and removes it", () => {
    const dir = mkdtempSync(join(tmpdir(), "cdi-"));
    try {
      const path = writeCdiSpec(spec, dir);
      expect(path).toBe(join(dir, "example.test-gpu.json"));
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(spec);
      removeCdiSpec(spec.kind, dir);
      expect(() => readFileSync(path)).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("dockerConfigForSlice", () => {
  it("whole GPU → one nvidia DeviceRequest by UUID", () => {
    expect(dockerConfigForSlice(SLICES[0]!).HostConfig.DeviceRequests).toEqual([
      { Driver: "nvidia", Count: 0, DeviceIDs: ["GPU-aaaa"], Capabilities: [["gpu"]], Options: {} },
    ]);
  });

  it("MIG → the MIG UUID as the device id", () => {
    expect(dockerConfigForSlice(SLICES[1]!).HostConfig.DeviceRequests[0]!.DeviceIDs).toEqual(["MIG-1"]);
  });

  it("MPS → env limits, pipe bind, host IPC", () => {
    const c = dockerConfigForSlice(SLICES[2]!);
    expect(c.Env).toEqual(
      expect.arrayContaining([
        "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25",
        "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=10240M",
      ]),
    );
    expect(c.HostConfig.Binds).toEqual(["/run/mps/pipe:/run/mps/pipe"]);
    expect(c.HostConfig.IpcMode).toBe("host");
  });

  it("simulated → no DeviceRequests (no NVIDIA runtime), /dev/null devices instead", () => {
    const c = dockerConfigForSlice(SLICES[3]!);
    expect(c.HostConfig.DeviceRequests).toEqual([]);
    expect(c.HostConfig.Devices).toEqual([
      { PathOnHost: "/dev/null", PathInContainer: "/dev/nvidia1", CgroupPermissions: "rw" },
    ]);
    expect(c.HostConfig.IpcMode).toBeUndefined();
  });
});

describe("a multi-GPU slice", () => {
  it("gets every one of its GPUs' device nodes and UUIDs, not only the first's", () => {
    const four = [0, 1, 2, 3].map((index) => ({ index, uuid: `GPU-${index}`, minor: index + 4 }));
    const edits = cdiEditsForSlice({ kind: "whole", id: "quad", gpus: four });
    const gpuNodes = (edits.deviceNodes ?? []).map((n) => n.path).filter((p) => /^\/dev\/nvidia\d+$/.test(p));
    expect(gpuNodes).toEqual(["/dev/nvidia4", "/dev/nvidia5", "/dev/nvidia6", "/dev/nvidia7"]);
    expect(edits.env).toContain("NVIDIA_VISIBLE_DEVICES=GPU-0,GPU-1,GPU-2,GPU-3");
  });
});
