import { afterEach, describe, expect, it } from "vitest";
import { GpupoolError } from "../core/errors.js";
import { nvidiaSmiRunner } from "./smi-runner.js";
import { type FakeBin, installFakeBins } from "./test-support/fake-bin.js";
import { fixturePath, readFixture } from "./test-support/fixtures.js";

let fake: FakeBin | undefined;
afterEach(() => fake?.cleanup());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GpupoolError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "no error";
}

describe("nvidiaSmiRunner runs the nvidia-smi found on PATH", () => {
  it("returns the fake's stdout byte for byte and records the arguments", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_QX: fixturePath("q-x/telegraf-tesla-t4-515.105.01.xml") },
    );
    const out = await nvidiaSmiRunner({ env: fake.env }).run(["-q", "-x"]);
    expect(out).toBe(readFixture("q-x/telegraf-tesla-t4-515.105.01.xml"));
    expect(fake.calls()).toEqual(["-q -x"]);
  });

  it("a failing nvidia-smi → GP_NVIDIA_SMI_FAILED with its message", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_FAIL: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." },
    );
    expect(await codeOf(nvidiaSmiRunner({ env: fake.env }).run(["-q", "-x"]))).toMatch(
      /^GP_NVIDIA_SMI_FAILED: `nvidia-smi -q -x` exited with 9: NVIDIA-SMI has failed/,
    );
  });

  it("a missing binary → GP_NVIDIA_SMI_FAILED saying it was not found", async () => {
    expect(await codeOf(nvidiaSmiRunner({ binary: "/nonexistent/nvidia-smi" }).run(["-L"]))).toMatch(
      /^GP_NVIDIA_SMI_FAILED: .*not found/,
    );
  });

  it("a slow nvidia-smi → GP_NVIDIA_SMI_TIMEOUT near the deadline, not a hang", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_SLEEP: "30", FAKE_SMI_QX: fixturePath("q-x/telegraf-tesla-t4-515.105.01.xml") },
    );
    const t0 = Date.now();
    const result = await codeOf(nvidiaSmiRunner({ env: fake.env, timeoutMs: 500 }).run(["-q", "-x"]));
    const elapsed = Date.now() - t0;
    expect(result).toMatch(/^GP_NVIDIA_SMI_TIMEOUT: `nvidia-smi -q -x` did not finish within 500 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5_000);
  });
});
