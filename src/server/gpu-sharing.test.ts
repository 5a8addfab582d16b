import { mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeEngine } from "../engines/fake.js";
import { type FakeBin, installFakeBins } from "../node/test-support/fake-bin.js";
import { fixturePath } from "../node/test-support/fixtures.js";
import { type GpuSharing, resolveGpuSharing } from "../node/gpu-sharing.js";
import { startServer } from "./up.js";

/**
 * `gpupool up --gpu-sharing auto|mps|timeslice`: how GPU shares are enforced. The resolution as a
 * table, then whole servers on a "real" GPU host made of a fake nvidia-smi (a Tesla T4 fixture) and
 * a fake nvidia-cuda-mps-control on PATH (no GPU here).
 */

describe("resolveGpuSharing", () => {
  const real = { simulated: false, gpuCount: 2, mpsControl: "/usr/bin/nvidia-cuda-mps-control" };
  const mode = (requested: GpuSharing, host: Partial<typeof real> & { mpsControl?: string | undefined }) =>
    resolveGpuSharing(requested, { ...real, ...host });

  it("auto: mps only on real GPUs with nvidia-cuda-mps-control on PATH, else timeslice saying why", () => {
    expect(mode("auto", {})).toEqual({
      mode: "mps",
      why: "auto: real GPUs and /usr/bin/nvidia-cuda-mps-control",
    });
    expect(mode("auto", { simulated: true })).toEqual({
      mode: "timeslice",
      why: "auto: the GPUs are simulated",
    });
    expect(mode("auto", { mpsControl: undefined })).toEqual({
      mode: "timeslice",
      why: "auto: nvidia-cuda-mps-control is not on PATH",
    });
    expect(mode("auto", { gpuCount: 0 }).mode).toBe("timeslice");
  });

  it("timeslice is always timeslice; mps is mps or an error at start", () => {
    expect(mode("timeslice", {}).mode).toBe("timeslice");
    expect(mode("mps", {}).mode).toBe("mps");
    expect(() => mode("mps", { simulated: true })).toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT", message: expect.stringMatching(/simulated/) }),
    );
    expect(() => mode("mps", { gpuCount: 0 })).toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT", message: expect.stringMatching(/no GPUs/) }),
    );
    expect(() => mode("mps", { mpsControl: undefined })).toThrow(
      expect.objectContaining({ code: "GP_MPS_FAILED", message: expect.stringMatching(/not on PATH/) }),
    );
  });
});

const TOKEN = "gp_gpu-sharing-test-token-0123456789";
const T4 = "GPU-d37e67a5-91dd-3774-a5cb-99096249601a";

describe("gpupool up --gpu-sharing", () => {
  const saved = { ...process.env };
  const dirs: string[] = [];
  let fake: FakeBin | undefined;
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    fake?.cleanup();
    fake = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** Puts a fake nvidia-smi (one Tesla T4) and, when asked, a fake nvidia-cuda-mps-control on PATH. */
  function realGpuHost(withMps: boolean): void {
    fake = installFakeBins(
      {
        "nvidia-smi": "fake-nvidia-smi.sh",
        ...(withMps ? { "nvidia-cuda-mps-control": "fake-nvidia-cuda-mps-control.sh" } : {}),
      },
      { FAKE_SMI_QX: fixturePath("q-x/telegraf-tesla-t4-515.105.01.xml") },
    );
    Object.assign(process.env, fake.env);
  }

  async function up(opts: { gpuSharing?: GpuSharing; simulate?: string }) {
    const dir = mkdtempSync(join(tmpdir(), "gp-sharing-"));
    dirs.push(dir);
    const lines: string[] = [];
    const server = await startServer({
      ...opts,
      data: join(dir, "data"),
      mpsDir: join(dir, "mps"),
      listen: "127.0.0.1:0",
      adminToken: TOKEN,
      resyncMs: 100,
      // Docker-like: GPUs by UUID (no CDI), bind mounts real.
      engineInstance: new FakeEngine({ gpuMode: "deviceRequests" }),
      out: (l) => lines.push(l),
    });
    const call = async (method: "GET" | "POST", url: string, body?: object) => {
      const r = await server.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TOKEN}` },
        ...(body ? { payload: body } : {}),
      });
      return JSON.parse(r.body);
    };
    /** Runs a share printing its slice kind, MPS settings, IPC namespace and pipe directory; its log lines. */
    const runShare = async () => {
      const { jobs } = await call("POST", "/v1/jobs", {
        name: "share",
        image: "localhost/busybox:latest",
        gpu: 0.25,
        gpuMemory: "4Gi",
        cpu: "100m",
        memory: "64Mi",
        command: [
          "sh",
          "-c",
          "echo $GPUPOOL_SLICE_KIND $CUDA_MPS_ACTIVE_THREAD_PERCENTAGE $CUDA_MPS_PINNED_DEVICE_MEM_LIMIT; readlink /proc/self/ns/ipc; ls $CUDA_MPS_PIPE_DIRECTORY; true",
        ],
      });
      const id = jobs[0].id as string;
      const deadline = Date.now() + 15_000;
      let job = (await call("GET", `/v1/jobs/${id}`)).job;
      while (!["Succeeded", "Failed"].includes(job.state) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        job = (await call("GET", `/v1/jobs/${id}`)).job;
      }
      const logs = await server.app.inject({
        method: "GET",
        url: `/v1/jobs/${id}/logs`,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return {
        state: job.state as string,
        reason: job.reason as string,
        lines: logs.body
          .split("\n")
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { text: string }).text),
      };
    };
    return { server, lines, call, dir, runShare };
  }

  it("auto on real GPUs with nvidia-cuda-mps-control: MPS shares, the daemon started for the share's GPU", async () => {
    realGpuHost(true);
    const { server, lines, call, dir, runShare } = await up({});
    try {
      expect(server.gpuSharing).toBe("mps");
      expect(lines).toContain("GPUs: 0:T4");
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^GPU shares: MPS \(hard compute % and memory limits\) — auto: real GPUs and \S+\/nvidia-cuda-mps-control; .* under .*\/mps$/,
        ),
      );
      expect((await call("GET", "/v1/info")).gpuSharing).toBe("mps");
      const run = await runShare();
      expect(run).toEqual({
        state: "Succeeded",
        reason: "exited 0",
        lines: ["mps 25 0=4096M", readlinkSync("/proc/self/ns/ipc"), "fake-mps-control.alive"],
      });
      expect(fake!.calls().filter((c) => c.startsWith("mps-control -d"))).toEqual([
        `mps-control -d | pipe=${join(dir, "mps", T4, "pipe")} log=${join(dir, "mps", T4, "log")} visible=${T4}`,
      ]);
    } finally {
      await server.close();
    }
  });

  it("auto without nvidia-cuda-mps-control, or timeslice: time-sliced shares, no daemon; mps there fails", async () => {
    realGpuHost(false);
    const a = await up({});
    await a.server.close();
    expect(a.server.gpuSharing).toBe("timeslice");
    expect(a.lines).toContain(
      "GPU shares: time-sliced (memory advisory) — auto: nvidia-cuda-mps-control is not on PATH",
    );
    await expect(up({ gpuSharing: "mps" })).rejects.toThrow(
      expect.objectContaining({ code: "GP_MPS_FAILED" }),
    );
    realGpuHost(true);
    const t = await up({ gpuSharing: "timeslice" });
    try {
      expect(t.server.gpuSharing).toBe("timeslice");
      expect(t.lines).toContain("GPU shares: time-sliced (memory advisory) — --gpu-sharing timeslice");
      // The share runs time-sliced in its own IPC namespace, and no daemon is asked for.
      const run = await t.runShare();
      expect(run.state).toBe("Succeeded");
      expect(run.lines[0]!.trim()).toBe("timeslice");
      expect(run.lines[1]).not.toBe(readlinkSync("/proc/self/ns/ipc"));
      expect(fake!.calls().filter((c) => c.startsWith("mps-control"))).toEqual([]);
    } finally {
      await t.server.close();
    }
  });

  it("mps with simulated GPUs is refused at start (GP_INVALID_ARGUMENT); auto there is time-sliced", async () => {
    realGpuHost(true);
    await expect(up({ simulate: "1xT4", gpuSharing: "mps" })).rejects.toThrow(
      expect.objectContaining({ code: "GP_INVALID_ARGUMENT", message: expect.stringMatching(/simulated/) }),
    );
    const s = await up({ simulate: "1xT4" });
    await s.server.close();
    expect(s.lines).toContain("GPU shares: time-sliced (memory advisory) — auto: the GPUs are simulated");
  });
});
