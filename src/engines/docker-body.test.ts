import { describe, expect, it } from "vitest";
import { dockerCreateBody } from "./docker-body.js";
import { importChanges, splitRef } from "./docker.js";

describe("dockerCreateBody", () => {
  it("asks for the GPUs by UUID through one nvidia DeviceRequest with the gpu capability", () => {
    const body = dockerCreateBody({
      name: "job-1",
      image: "nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
      gpus: { cdi: ["nvidia.com/gpu=GPU-aaa"], uuids: ["GPU-aaa", "MIG-bbb"] },
    });
    expect((body.HostConfig as Record<string, unknown>).DeviceRequests).toEqual([
      { Driver: "nvidia", Count: 0, DeviceIDs: ["GPU-aaa", "MIG-bbb"], Capabilities: [["gpu"]], Options: {} },
    ]);
  });

  it("maps limits, env, labels, network, runtime and the stop contract", () => {
    const body = dockerCreateBody({
      name: "job-2",
      image: "localhost/busybox:latest",
      command: ["sh", "-c", "true"],
      env: { A: "1", NVIDIA_VISIBLE_DEVICES: "none" },
      labels: { "io.gpupool.job": "j2" },
      cpuMilli: 1500,
      memoryMiB: 512,
      runtime: "runsc",
      stopGraceSeconds: 30,
    });
    expect(body).toMatchObject({
      Image: "localhost/busybox:latest",
      Cmd: ["sh", "-c", "true"],
      Env: ["A=1", "NVIDIA_VISIBLE_DEVICES=none"],
      Labels: { "io.gpupool.job": "j2" },
      Tty: false,
      StopSignal: "SIGTERM",
      StopTimeout: 30,
      HostConfig: {
        NetworkMode: "none",
        NanoCpus: 1_500_000_000,
        Memory: 536_870_912,
        MemorySwap: 536_870_912,
        Runtime: "runsc",
      },
    });
    expect((body.HostConfig as Record<string, unknown>).DeviceRequests).toBeUndefined();
  });

  it("maps plain devices (stand-ins for simulated GPUs) as HostConfig.Devices", () => {
    const host = dockerCreateBody({
      name: "x",
      image: "i",
      devices: [{ hostPath: "/dev/null", containerPath: "/dev/nvidia0" }],
    }).HostConfig as Record<string, unknown>;
    expect(host.Devices).toEqual([
      { PathOnHost: "/dev/null", PathInContainer: "/dev/nvidia0", CgroupPermissions: "rw" },
    ]);
    expect(host.DeviceRequests).toBeUndefined();
  });

  it("leaves out limits that are not set and uses the default network when asked", () => {
    const host = dockerCreateBody({ name: "x", image: "i", network: "default" }).HostConfig as Record<
      string,
      unknown
    >;
    expect(host.NetworkMode).toBe("default");
    expect(host).not.toHaveProperty("Memory");
    expect(host).not.toHaveProperty("NanoCpus");
    expect(host).not.toHaveProperty("Runtime");
  });

  it("joins the host's network for gang members", () => {
    const host = dockerCreateBody({ name: "x", image: "i", network: "host" }).HostConfig as Record<
      string,
      unknown
    >;
    expect(host.NetworkMode).toBe("host");
  });

  it("joins the host's IPC namespace on request (MPS clients) and keeps the default otherwise", () => {
    const host = (s: Parameters<typeof dockerCreateBody>[0]) =>
      dockerCreateBody(s).HostConfig as Record<string, unknown>;
    expect(host({ name: "x", image: "i", ipc: "host" }).IpcMode).toBe("host");
    expect(host({ name: "x", image: "i" })).not.toHaveProperty("IpcMode");
  });

  it("bind-mounts host paths as HostConfig.Mounts (a missing source is an error, not a new directory)", () => {
    const host = dockerCreateBody({
      name: "x",
      image: "i",
      mounts: [
        { hostPath: "/run/gpupool/mps/GPU-1/pipe", containerPath: "/run/gpupool/mps/GPU-1/pipe" },
        { hostPath: "/srv/data", containerPath: "/data", readOnly: true },
      ],
    }).HostConfig as Record<string, unknown>;
    expect(host.Mounts).toEqual([
      {
        Type: "bind",
        Source: "/run/gpupool/mps/GPU-1/pipe",
        Target: "/run/gpupool/mps/GPU-1/pipe",
        ReadOnly: false,
      },
      { Type: "bind", Source: "/srv/data", Target: "/data", ReadOnly: true },
    ]);
    expect(host).not.toHaveProperty("Binds");
    expect(dockerCreateBody({ name: "x", image: "i" }).HostConfig).not.toHaveProperty("Mounts");
  });

  it("refuses CDI-only GPUs: Docker 20.10 cannot attach CDI devices", () => {
    expect(() =>
      dockerCreateBody({ name: "x", image: "i", gpus: { cdi: ["nvidia.com/gpu=0"], uuids: [] } }),
    ).toThrow(expect.objectContaining({ code: "GP_ENGINE_UNSUPPORTED" }));
  });
});

describe("image references and import changes", () => {
  it("splits a reference into repo and tag, keeping a registry port in the repo", () => {
    expect(splitRef("localhost/busybox:latest")).toEqual({ repo: "localhost/busybox", tag: "latest" });
    expect(splitRef("localhost:5000/cuda")).toEqual({ repo: "localhost:5000/cuda", tag: "latest" });
    expect(splitRef("busybox")).toEqual({ repo: "busybox", tag: "latest" });
  });

  it("writes CMD as JSON and one ENV per variable", () => {
    expect(importChanges({ cmd: ["/bin/sh"], env: ["PATH=/bin", "A=b=c"] })).toEqual([
      'CMD ["/bin/sh"]',
      "ENV PATH=/bin",
      "ENV A=b=c",
    ]);
  });
});
