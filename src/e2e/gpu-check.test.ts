import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeBin, installFakeBins } from "../node/test-support/fake-bin.js";
import { fixturePath } from "../node/test-support/fixtures.js";

/**
 * Issue 14, acceptance 7: scripts/gpu-check.sh on this machine (no GPU). Its CUDA probe compiles
 * with nvcc; without nvidia-smi it stops with a clear "no GPU" (exit 3); with a fake nvidia-smi
 * printing a real 2-GPU output, gpupool's parsers read what it captured, and the probe, which has
 * no driver to run on, fails its first GPU check (exit 1).
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const SCRIPT = join(ROOT, "scripts/gpu-check.sh");
const nvcc = ["/usr/local/bin/nvcc", "/usr/local/cuda/bin/nvcc"].find(existsSync);
const why = nvcc ? undefined : "nvcc is not installed (the CUDA toolkit: /usr/local/cuda)";
if (why && process.env.CI) throw new Error(`scripts/gpu-check.sh needs nvcc in CI: ${why}`);
if (why) console.warn(`skipping the gpu-check script test: ${why}`);

let out = "";
let fake: FakeBin | undefined;
afterEach(() => {
  fake?.cleanup();
  fake = undefined;
  if (out) rmSync(out, { recursive: true, force: true });
});

/** PATH without any nvidia-smi, with nvcc's directory. */
const basePath = () =>
  ["/usr/local/bin", "/usr/bin", "/bin"].filter((d) => !existsSync(join(d, "nvidia-smi"))).join(":");

function run(env: NodeJS.ProcessEnv) {
  out = mkdtempSync(join(tmpdir(), "gp-gpucheck-"));
  const r = spawnSync("bash", [SCRIPT], {
    env: { ...env, GPU_CHECK_OUT: out, GPU_CHECK_RATE_SECONDS: "1" },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, text: `${r.stdout}${r.stderr}` };
}

describe.skipIf(why !== undefined)("scripts/gpu-check.sh on a machine without a GPU", () => {
  it("builds its CUDA probe with nvcc, then stops: no GPU, exit 3", () => {
    const r = run({ ...process.env, PATH: basePath() });
    expect(r.text).toMatch(/^PASS build: mps-probe compiled with release \d+\.\d+\n/);
    expect(r.text).toMatch(/\nno GPU: nvidia-smi is not on PATH/);
    expect(r.code, r.text).toBe(3);
    expect(existsSync(join(out, "mps-probe"))).toBe(true);
  }, 120_000);

  it("with a fake nvidia-smi (a real 2 × RTX A5000 output): the parsers read the captures; the probe finds no driver", () => {
    const list = join(tmpdir(), `gp-gpucheck-L-${process.pid}.txt`);
    writeFileSync(
      list,
      "GPU 0: NVIDIA RTX A5000 (UUID: GPU-12345678-aaaa-bbbb-cccc-0123456789ab)\n" +
        "GPU 1: NVIDIA RTX A5000 (UUID: GPU-12345678-aaaa-bbbb-cccc-0123456789cd)\n",
    );
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_QX: fixturePath("q-x/telegraf-2x-rtx-a5000-590.44.01.xml"), FAKE_SMI_LIST: list },
    );
    const r = run({ ...fake.env, PATH: `${fake.dir}:${basePath()}` });
    rmSync(list, { force: true });
    expect(r.text).toMatch(/\nINFO nvidia-smi: 2 GPU\(s\): GPU 0: NVIDIA RTX A5000/);
    expect(r.text).toMatch(/\nPASS parse: gpupool gpus reads the saved -q -x, -L: 2 GPU\(s\)\n/);
    expect(r.text).toMatch(/\nPASS discover: gpupool gpus \(live nvidia-smi\): 2 GPU\(s\)\n/);
    expect(r.text).toMatch(/\nFAIL rate: the probe does not run on GPU 0: rate failed: /);
    expect(r.code, r.text).toBe(1);
  }, 120_000);
});
