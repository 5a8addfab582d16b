import { afterEach, describe, expect, it } from "vitest";
import type { GpuInfo } from "./gpu-info.js";
import { applyMigLayout, destroyMigLayout } from "./mig-apply.js";
import { simulateGpus } from "./simulate.js";
import { nvidiaSmiRunner } from "./smi-runner.js";
import { parseSmiXml } from "./smi-xml.js";
import { type FakeBin, installFakeBins } from "./test-support/fake-bin.js";
import { readFixture } from "./test-support/fixtures.js";

/** The real A100-SXM4-80GB in MIG mode (4 × 1g.20gb, idle). */
const A100: GpuInfo = parseSmiXml(readFixture("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml")).gpus[0]!;

let fake: FakeBin | undefined;
afterEach(() => fake?.cleanup());

function runner(vars: Record<string, string> = {}) {
  fake = installFakeBins({ "nvidia-smi": "fake-nvidia-smi.sh" }, vars);
  return nvidiaSmiRunner({ env: fake.env });
}

describe("applyMigLayout through a fake nvidia-smi", () => {
  it("replace: destroys CIs and GIs, then creates GIs at planned placements and their CIs", async () => {
    const r = await applyMigLayout(runner(), { gpu: A100, profiles: ["3g.40gb", "4g.40gb"], replace: true });
    expect(r.added).toEqual([
      { profile: "4g.40gb", start: 0 },
      { profile: "3g.40gb", start: 4 },
    ]);
    expect(fake!.calls()).toEqual([
      "mig -i 0 -dci",
      "mig -i 0 -dgi",
      "mig -i 0 -cgi 4g.40gb:0,3g.40gb:4",
      "mig -i 0 -cci",
    ]);
  });

  it("adds next to existing instances without destroying them", async () => {
    const existing = [0, 2, 4, 6].map((start) => ({ profile: "1g.20gb", start }));
    const r = runner();
    await expect(applyMigLayout(r, { gpu: A100, profiles: ["1g.10gb"], existing })).rejects.toMatchObject({
      code: "GP_MIG_LAYOUT_INVALID",
    });
    const ok = await applyMigLayout(r, { gpu: A100, profiles: ["1g.10gb"], existing: existing.slice(0, 3) });
    expect(ok.added).toEqual([{ profile: "1g.10gb", start: 6 }]);
    expect(fake!.calls()).toEqual(["mig -i 0 -cgi 1g.10gb:6", "mig -i 0 -cci"]);
  });

  it.each([
    [
      "a busy GPU",
      {
        ...A100,
        processes: [
          { pid: 42, usedMemoryMiB: 10, name: "python", type: "C", gpuInstanceId: 3, computeInstanceId: 0 },
        ],
      },
      "GP_MIG_GPU_BUSY",
    ],
    ["MIG disabled (simulated H100)", simulateGpus("H100-80GB").gpus[0]!, "GP_MIG_DISABLED"],
    [
      "a GPU without MIG (T4)",
      parseSmiXml(readFixture("q-x/telegraf-tesla-t4-515.105.01.xml")).gpus[0]!,
      "GP_MIG_LAYOUT_INVALID",
    ],
  ])("refuses %s without running nvidia-smi", async (_what, gpu, code) => {
    await expect(
      applyMigLayout(runner(), { gpu, profiles: ["1g.10gb"], replace: true }),
    ).rejects.toMatchObject({ code });
    expect(fake!.calls()).toEqual([]);
  });

  it("an invalid layout is refused before any command", async () => {
    await expect(
      applyMigLayout(runner(), { gpu: A100, profiles: ["4g.40gb", "4g.40gb"], replace: true }),
    ).rejects.toMatchObject({
      code: "GP_MIG_LAYOUT_INVALID",
    });
    expect(fake!.calls()).toEqual([]);
  });

  it("nvidia-smi mig failing → GP_MIG_APPLY_FAILED with its message", async () => {
    const r = runner({
      FAKE_SMI_MIG_FAIL:
        "Unable to create a GPU instance on GPU 0 using profile 3g.40gb: Insufficient Resources",
    });
    await expect(applyMigLayout(r, { gpu: A100, profiles: ["3g.40gb"] })).rejects.toMatchObject({
      code: "GP_MIG_APPLY_FAILED",
      message: expect.stringMatching(/Insufficient Resources/),
    });
  });

  it("destroyMigLayout: -dci then -dgi", async () => {
    expect(await destroyMigLayout(runner(), A100)).toEqual([
      ["mig", "-i", "0", "-dci"],
      ["mig", "-i", "0", "-dgi"],
    ]);
  });
});
