import { afterEach, describe, expect, it } from "vitest";
import { OveruseMonitor, type OveruseEvent, smiSampler, type TimesliceWatch } from "./overuse.js";
import { nvidiaSmiRunner } from "./smi-runner.js";
import { type FakeBin, installFakeBins } from "./test-support/fake-bin.js";
import { fixturePath } from "./test-support/fixtures.js";

/**
 * The H100 load fixture has pids 21180 (2296 MiB) and 21181 (1272 MiB), both memhog, and 21198
 * (7484 MiB, gpu_burn), all on GPU-00000000-…. Here the memhogs belong to container "x", gpu_burn to "y".
 */
const GPU = "GPU-00000000-0000-0000-0000-000000000000";
const X = "a".repeat(64);
const Y = "b".repeat(64);
const owner: Record<number, string> = { 21180: X, 21181: X, 21198: Y };
const cgroupOf = async (pid: number) => (owner[pid] ? `0::/libpod_parent/libpod-${owner[pid]}\n` : null);

let fake: FakeBin | undefined;
afterEach(() => fake?.cleanup());

function setup(kill: (id: string) => Promise<void> = async () => {}) {
  fake = installFakeBins(
    { "nvidia-smi": "fake-nvidia-smi.sh" },
    { FAKE_SMI_APPS: fixturePath("compute-apps/h100-80gb-hbm3-mig-590.48.01-load.csv") },
  );
  const events: OveruseEvent[] = [];
  const killed: string[] = [];
  const monitor = new OveruseMonitor({
    sample: smiSampler(nvidiaSmiRunner({ env: fake.env }), cgroupOf),
    killContainer: async (id) => {
      killed.push(id);
      await kill(id);
    },
    record: (e) => events.push(e),
    now: () => new Date("2026-11-30T06:00:00Z"),
  });
  return { monitor, events, killed };
}

const watch = (
  sliceId: string,
  containerId: string,
  memoryLimitMiB: number,
  policy: "warn" | "kill",
): TimesliceWatch => ({
  sliceId,
  containerId,
  gpuUuid: GPU,
  memoryLimitMiB,
  policy,
});

describe("time-slice overuse policy on real per-process memory", () => {
  it("warn: x uses 3568 MiB of a 2048 MiB slice → one event, not repeated while it stays over", async () => {
    const { monitor, events, killed } = setup();
    const watches = [watch("sx", X, 2048, "warn"), watch("sy", Y, 8192, "kill")];
    const first = await monitor.tick(watches);
    expect(first).toEqual([
      {
        at: "2026-11-30T06:00:00.000Z",
        type: "gpu-memory-overuse",
        sliceId: "sx",
        containerId: X,
        gpuUuid: GPU,
        usedMiB: 3568,
        limitMiB: 2048,
        policy: "warn",
        action: "warned",
        pids: [21180, 21181],
      },
    ]);
    expect(await monitor.tick(watches)).toEqual([]);
    expect(events).toHaveLength(1);
    expect(killed).toEqual([]);
  });

  it("warn fires again after the container came back under its limit", async () => {
    const { monitor } = setup();
    expect(await monitor.tick([watch("sx", X, 2048, "warn")])).toHaveLength(1);
    expect(await monitor.tick([watch("sx", X, 4096, "warn")])).toEqual([]);
    expect(await monitor.tick([watch("sx", X, 2048, "warn")])).toHaveLength(1);
  });

  it("kill: y uses 7484 MiB of a 4096 MiB slice → the container is killed and the event recorded", async () => {
    const { monitor, events, killed } = setup();
    await monitor.tick([watch("sx", X, 4096, "warn"), watch("sy", Y, 4096, "kill")]);
    expect(killed).toEqual([Y]);
    expect(events.map((e) => [e.sliceId, e.action, e.usedMiB])).toEqual([["sy", "killed", 7484]]);
  });

  it("a failed kill is recorded as kill-failed with the reason", async () => {
    const { monitor, events } = setup(async () => {
      throw new Error("engine unreachable");
    });
    await monitor.tick([watch("sy", Y, 4096, "kill")]);
    expect(events[0]).toMatchObject({ action: "kill-failed", error: "engine unreachable" });
  });

  it("limit 0 (unlimited) and other GPUs are never over", async () => {
    const { monitor } = setup();
    expect(
      await monitor.tick([watch("sx", X, 0, "kill"), { ...watch("sy", Y, 1, "kill"), gpuUuid: "GPU-other" }]),
    ).toEqual([]);
  });
});
