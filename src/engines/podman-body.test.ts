import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostRlimits, podmanCreateBody } from "./podman-body.js";

describe("podmanCreateBody", () => {
  it("attaches GPUs as CDI devices and limits CPU as quota over a 100 ms period", () => {
    const body = podmanCreateBody(
      {
        name: "job-1",
        image: "localhost/busybox:latest",
        command: ["nvidia-smi", "-L"],
        env: { A: "1" },
        labels: { "io.gpupool.job": "j1" },
        cpuMilli: 250,
        memoryMiB: 64,
        gpus: { cdi: ["nvidia.com/gpu=GPU-aaa"], uuids: ["GPU-aaa"] },
      },
      [{ type: "nofile", soft: 20000, hard: 20000 }],
    );
    expect(body).toEqual({
      name: "job-1",
      image: "localhost/busybox:latest",
      command: ["nvidia-smi", "-L"],
      env: { A: "1" },
      labels: { "io.gpupool.job": "j1" },
      terminal: false,
      stdin: false,
      remove: false,
      stop_signal: 15,
      stop_timeout: 10,
      r_limits: [{ type: "nofile", soft: 20000, hard: 20000 }],
      netns: { nsmode: "none" },
      resource_limits: {
        memory: { limit: 67_108_864, swap: 67_108_864 },
        cpu: { quota: 25_000, period: 100_000 },
      },
      devices: [{ path: "nvidia.com/gpu=GPU-aaa" }],
    });
  });

  it("sets no resource limits when the spec gives no CPU or memory (or 0)", () => {
    expect(podmanCreateBody({ name: "x", image: "i" }, [])).not.toHaveProperty("resource_limits");
    expect(podmanCreateBody({ name: "x", image: "i", cpuMilli: 0, memoryMiB: 0 }, [])).not.toHaveProperty(
      "resource_limits",
    );
  });

  it("joins the host's network namespace for gang members, and the default network when asked", () => {
    expect(podmanCreateBody({ name: "x", image: "i", network: "host" }, []).netns).toEqual({
      nsmode: "host",
    });
    expect(podmanCreateBody({ name: "x", image: "i", network: "default" }, [])).not.toHaveProperty("netns");
  });

  it("adds plain device mappings after the CDI devices", () => {
    const body = podmanCreateBody(
      {
        name: "x",
        image: "i",
        gpus: { cdi: ["gpupool.dev/slice=j1"], uuids: [] },
        devices: [{ hostPath: "/dev/null", containerPath: "/dev/nvidia3" }],
      },
      [],
    );
    expect(body.devices).toEqual([{ path: "gpupool.dev/slice=j1" }, { path: "/dev/null:/dev/nvidia3:rw" }]);
  });

  it("joins the host's IPC namespace on request (MPS clients) and keeps the default otherwise", () => {
    expect(podmanCreateBody({ name: "x", image: "i", ipc: "host" }, []).ipcns).toEqual({ nsmode: "host" });
    expect(podmanCreateBody({ name: "x", image: "i" }, [])).not.toHaveProperty("ipcns");
  });

  it("bind-mounts host paths as OCI mounts, read-write unless read-only", () => {
    const body = podmanCreateBody(
      {
        name: "x",
        image: "i",
        mounts: [
          { hostPath: "/run/gpupool/mps/GPU-1/pipe", containerPath: "/run/gpupool/mps/GPU-1/pipe" },
          { hostPath: "/srv/data", containerPath: "/data", readOnly: true },
        ],
      },
      [],
    );
    expect(body.mounts).toEqual([
      {
        type: "bind",
        source: "/run/gpupool/mps/GPU-1/pipe",
        destination: "/run/gpupool/mps/GPU-1/pipe",
        options: ["rbind", "rw"],
      },
      { type: "bind", source: "/srv/data", destination: "/data", options: ["rbind", "ro"] },
    ]);
    expect(podmanCreateBody({ name: "x", image: "i", mounts: [] }, [])).not.toHaveProperty("mounts");
  });

  it("refuses UUID-only GPUs: Podman's API enforces devices through CDI", () => {
    expect(() =>
      podmanCreateBody({ name: "x", image: "i", gpus: { cdi: [], uuids: ["GPU-a"] } }, []),
    ).toThrow(expect.objectContaining({ code: "GP_ENGINE_UNSUPPORTED" }));
  });
});

describe("hostRlimits", () => {
  it("reads the hard nofile/nproc limits and caps nproc at pid_max", () => {
    const dir = mkdtempSync(join(tmpdir(), "gp-limits-"));
    writeFileSync(
      join(dir, "limits"),
      [
        "Limit                     Soft Limit           Hard Limit           Units     ",
        "Max processes             96365                96365                processes ",
        "Max open files            1024                 20000                files     ",
      ].join("\n"),
    );
    writeFileSync(join(dir, "pid_max"), "32768\n");
    const limits = hostRlimits(join(dir, "limits"), join(dir, "pid_max"));
    rmSync(dir, { recursive: true, force: true });
    expect(limits).toEqual([
      { type: "nofile", soft: 20000, hard: 20000 },
      { type: "nproc", soft: 32768, hard: 32768 },
    ]);
  });

  it("is empty when /proc is not there", () => {
    expect(hostRlimits("/nonexistent/limits")).toEqual([]);
  });
});
