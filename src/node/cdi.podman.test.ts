import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cdiDeviceName, cdiSpecForSlices, removeCdiSpec, writeCdiSpec } from "./cdi.js";
import { runCommand } from "./run-command.js";
import { simulateGpus } from "./simulate.js";
import { mpsLimitsForShare, type Slice } from "./slice.js";
import { PODMAN_IMAGE, podmanAvailability } from "./test-support/podman.js";

/**
 * Acceptance: a container started by real Podman with the CDI device of slice A sees A's env and
 * device node and none of slice B's. Simulated GPUs, so the nodes are /dev/null stand-ins.
 */

const avail = await podmanAvailability();
if (!avail.ok && process.env.CI) {
  throw new Error(`Podman is required in CI: ${avail.reason}`);
}
if (!avail.ok) console.warn(`skipping the Podman CDI tests: ${avail.reason}`);

describe.skipIf(!avail.ok)("CDI slices in real Podman containers", () => {
  // A unique vendor per run, so parallel runs and other specs in /etc/cdi never collide.
  const kind = `t${randomBytes(4).toString("hex")}.gpupool.test/slice`;
  const inv = simulateGpus("3xH100-80GB");
  const ref = (i: number) => ({ index: i, uuid: inv.gpus[i]!.uuid, simulated: true });
  let pipeDir = "";
  let slices: Slice[] = [];

  beforeAll(() => {
    pipeDir = mkdtempSync(join(tmpdir(), "gpupool-mps-pipe-"));
    slices = [
      { kind: "mps", id: "slice-a", gpu: ref(0), pipeDirectory: pipeDir, ...mpsLimitsForShare(250, 10240) },
      { kind: "whole", id: "slice-b", gpus: [ref(1)] },
      { kind: "mig", id: "slice-c", gpu: ref(2), migUuid: "MIG-SIM-0002-1g.10gb", profile: "1g.10gb" },
    ];
    writeCdiSpec(cdiSpecForSlices(slices, kind));
  });

  afterAll(() => {
    removeCdiSpec(kind);
    if (pipeDir) rmSync(pipeDir, { recursive: true, force: true });
  });

  async function runWith(sliceId: string): Promise<{ env: Map<string, string>; dev: string; out: string }> {
    const script = `env; echo ---DEV---; ls -l /dev; echo ---PIPE---; ls -d ${pipeDir} 2>&1 || true`;
    const r = await runCommand(
      "podman",
      [
        "run",
        "--rm",
        "--network",
        "none",
        "--device",
        cdiDeviceName(kind, sliceId),
        PODMAN_IMAGE,
        "sh",
        "-c",
        script,
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code, `podman run failed: ${r.stderr}`).toBe(0);
    const [envText, rest] = r.stdout.split("---DEV---\n") as [string, string];
    const env = new Map<string, string>();
    for (const line of envText.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return { env, dev: rest, out: r.stdout };
  }

  it("slice A (MPS 25 %, 10 GiB on GPU 0): its env and /dev/nvidia0, nothing of B", async () => {
    const { env, dev, out } = await runWith("slice-a");
    expect(env.get("NVIDIA_VISIBLE_DEVICES")).toBe(inv.gpus[0]!.uuid);
    expect(env.get("CUDA_VISIBLE_DEVICES")).toBe(inv.gpus[0]!.uuid);
    expect(env.get("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE")).toBe("25");
    expect(env.get("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT")).toBe("0=10240M");
    expect(env.get("CUDA_MPS_PIPE_DIRECTORY")).toBe(pipeDir);
    expect(env.get("GPUPOOL_SIMULATED")).toBe("1");
    expect(dev).toMatch(/\snvidia0\n/);
    expect(dev).toMatch(/\snvidiactl\n/);
    expect(dev).not.toMatch(/\snvidia1\n/);
    expect(dev).not.toMatch(/\snvidia2\n/);
    // The pipe directory is mounted (MPS clients reach the daemon through it).
    expect(out.split("---PIPE---\n")[1]!.trim()).toBe(pipeDir);
    expect(out).not.toContain(inv.gpus[1]!.uuid);
  });

  it("slice B (whole GPU 1): its env and /dev/nvidia1, nothing of A", async () => {
    const { env, dev, out } = await runWith("slice-b");
    expect(env.get("NVIDIA_VISIBLE_DEVICES")).toBe(inv.gpus[1]!.uuid);
    expect(env.has("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE")).toBe(false);
    expect(env.has("CUDA_MPS_PIPE_DIRECTORY")).toBe(false);
    expect(dev).toMatch(/\snvidia1\n/);
    expect(dev).not.toMatch(/\snvidia0\n/);
    expect(out).not.toContain(inv.gpus[0]!.uuid);
  });

  it("slice C (MIG on GPU 2): the MIG UUID, /dev/nvidia2 only", async () => {
    const { env, dev } = await runWith("slice-c");
    expect(env.get("NVIDIA_VISIBLE_DEVICES")).toBe("MIG-SIM-0002-1g.10gb");
    expect(env.get("GPUPOOL_MIG_PROFILE")).toBe("1g.10gb");
    expect(dev).toMatch(/\snvidia2\n/);
    expect(dev).not.toMatch(/\snvidia[01]\n/);
  });
});
