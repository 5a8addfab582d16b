import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GpupoolError } from "../core/errors.js";
import { MpsControl } from "./mps-control.js";
import { type FakeBin, installFakeBins } from "./test-support/fake-bin.js";

const GPU = "GPU-d37e67a5-91dd-3774-a5cb-99096249601a";
let fake: FakeBin;
let root: string;

beforeEach(() => {
  fake = installFakeBins({ "nvidia-cuda-mps-control": "fake-nvidia-cuda-mps-control.sh" });
  root = mkdtempSync(join(tmpdir(), "gpupool-mps-"));
});
afterEach(() => {
  fake.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe("MpsControl through a fake nvidia-cuda-mps-control on PATH", () => {
  it("start: -d with the GPU's own pipe/log dirs and CUDA_VISIBLE_DEVICES, then the defaults on stdin", async () => {
    const mps = new MpsControl({ root, env: fake.env });
    await mps.start(GPU, { activeThreadPercentage: 50, pinnedMemLimitMiB: 10240 });
    const { pipe, log } = mps.dirs(GPU);
    expect(pipe).toBe(join(root, GPU, "pipe"));
    expect(fake.calls()).toEqual([
      `mps-control -d | pipe=${pipe} log=${log} visible=${GPU}`,
      `mps-control  | pipe=${pipe} log=${log} visible=${GPU}`,
      "  < set_default_active_thread_percentage 50",
      "  < set_default_device_pinned_mem_limit 0 10240M",
    ]);
    expect(await mps.isRunning(GPU)).toBe(true);
  });

  it("stop sends quit; stopping a stopped daemon is a no-op", async () => {
    const mps = new MpsControl({ root, env: fake.env });
    await mps.start(GPU);
    await mps.stop(GPU);
    expect(fake.calls().filter((c) => c.startsWith("  <"))).toEqual(["  < get_server_list", "  < quit"]);
    expect(await mps.isRunning(GPU)).toBe(false);
    await mps.stop(GPU);
    expect(fake.calls().filter((c) => c === "  < quit")).toHaveLength(1);
    expect(mps.managedGpus()).toEqual([]);
  });

  it("ensure: started, then running, then restarted with the same defaults after a crash", async () => {
    const mps = new MpsControl({ root, env: fake.env });
    expect(await mps.ensure(GPU, { activeThreadPercentage: 25 })).toBe("started");
    expect(await mps.ensure(GPU)).toBe("running");
    // The daemon dies: the fake keeps its liveness in the pipe directory.
    unlinkSync(join(mps.dirs(GPU).pipe, "fake-mps-control.alive"));
    expect(await mps.isRunning(GPU)).toBe(false);
    expect(await mps.superviseAll()).toEqual(new Map([[GPU, "restarted"]]));
    expect(await mps.isRunning(GPU)).toBe(true);
    expect(fake.calls().filter((c) => c.includes("set_default_active_thread_percentage"))).toEqual([
      "  < set_default_active_thread_percentage 25",
      "  < set_default_active_thread_percentage 25",
    ]);
    expect(fake.calls().filter((c) => c.startsWith("mps-control -d"))).toHaveLength(2);
  });

  it("errors: a daemon that will not start, commands without a daemon, a missing binary, bad defaults", async () => {
    const failing = new MpsControl({
      root,
      env: { ...fake.env, FAKE_MPS_START_FAIL: "CUDA driver not found" },
    });
    await expect(failing.start(GPU)).rejects.toThrow(
      /cannot start the MPS control daemon .*CUDA driver not found/,
    );
    const mps = new MpsControl({ root, env: fake.env });
    await expect(mps.command(GPU, ["get_server_list"])).rejects.toThrow(
      /Cannot find MPS control daemon process/,
    );
    const missing = new MpsControl({ root, binary: "/nonexistent/nvidia-cuda-mps-control" });
    await expect(missing.start(GPU)).rejects.toBeInstanceOf(GpupoolError);
    await mps.start(GPU);
    await expect(mps.setDefaults(GPU, { activeThreadPercentage: 0 })).rejects.toThrow(/not 1\.\.100/);
    expect(existsSync(mps.dirs(GPU).log)).toBe(true);
    expect(() => mps.dirs("../etc")).toThrow(/bad GPU UUID/);
    // A root it cannot create (here: below a plain file) is GP_MPS_FAILED too, before any call.
    writeFileSync(join(root, "file"), "");
    const unwritable = new MpsControl({ root: join(root, "file", "mps"), env: fake.env });
    await expect(unwritable.start(GPU)).rejects.toThrow(
      expect.objectContaining({ code: "GP_MPS_FAILED", message: expect.stringMatching(/MPS directories/) }),
    );
  });
});
