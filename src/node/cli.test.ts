import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { compatJson, runCompatCommand } from "./compat-command.js";
import { runGpusCommand } from "./gpus-command.js";
import { runCommand } from "./run-command.js";
import { type FakeBin, installFakeBins } from "./test-support/fake-bin.js";
import { fixturePath } from "./test-support/fixtures.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = resolve(ROOT, "bin/gpupool");
const BUILT = existsSync(resolve(ROOT, "dist/cli/main.js"));

async function capture(f: (write: (s: string) => void) => Promise<void>): Promise<string> {
  let out = "";
  await f((s) => {
    out += s;
  });
  return out;
}

describe("gpupool gpus (in process)", () => {
  it("--simulate --json follows the contract and marks every GPU simulated", async () => {
    const json = JSON.parse(
      await capture((w) => runGpusCommand({ simulate: "2xH100-80GB,1xT4", json: true }, w)),
    );
    expect(json.gpus).toHaveLength(3);
    for (const g of json.gpus) {
      for (const key of [
        "index",
        "uuid",
        "model",
        "memoryMiB",
        "driverVersion",
        "cudaVersion",
        "migMode",
        "migDevices",
        "processes",
        "simulated",
      ]) {
        expect(g, key).toHaveProperty(key);
      }
      expect(g.simulated).toBe(true);
    }
    expect(json.nvlinkGroups).toEqual([[0, 1]]);
    expect(json.gpus[0].nvlinkPeers).toEqual([1]);
  });

  it("--nvidia-smi-xml: the A100 MIG table shows its MIG devices; the T4 lists its processes", async () => {
    const a100 = await capture((w) =>
      runGpusCommand({ nvidiaSmiXml: fixturePath("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml") }, w),
    );
    expect(a100).toMatch(/A100-80GB\s+GPU-513536b6-7d19-9063-b049-1e69664bb298\s+0.05 \/ 80 GiB/);
    expect(a100.match(/1g\.20gb/g)).toHaveLength(4);
    expect(a100).not.toMatch(/SIMULATED/);
    const t4 = JSON.parse(
      await capture((w) =>
        runGpusCommand({ nvidiaSmiXml: fixturePath("q-x/telegraf-tesla-t4-515.105.01.xml"), json: true }, w),
      ),
    );
    expect(
      t4.gpus[0].processes.map((p: { pid: number; usedMemoryMiB: number }) => [p.pid, p.usedMemoryMiB]),
    ).toEqual([
      [675, 22],
      [5762, 1005],
    ]);
  });

  it("--catalog lists the models; --simulate with --nvidia-smi-xml is refused", async () => {
    expect(await capture((w) => runGpusCommand({ catalog: true }, w))).toMatch(/H200\s+140.4 GiB.*7g\.141gb/);
    await expect(runGpusCommand({ simulate: "T4", nvidiaSmiXml: "x" }, () => {})).rejects.toMatchObject({
      code: "GP_INVALID_ARGUMENT",
    });
  });
});

describe("gpupool compat (in process)", () => {
  it("--cuda 12.4 --driver 535.104.05: the contract's keys come first", async () => {
    const r = await compatJson({ cuda: "12.4", driver: "535.104.05" });
    expect(Object.keys(r).slice(0, 3)).toEqual(["verdict", "requiredDriver", "explanation"]);
    expect([r.verdict, r.requiredDriver]).toEqual(["minor-version-compatible", "550.54.14"]);
  });

  it("--gpu decides datacenter for forward compatibility", async () => {
    expect(
      (await compatJson({ cuda: "12.4", driver: "470.42.01", forwardCompat: true, gpu: "H100-80GB" }))
        .verdict,
    ).toBe("forward-compat");
    expect(
      (await compatJson({ cuda: "12.4", driver: "470.42.01", forwardCompat: true, gpu: "RTX-3090" })).verdict,
    ).toBe("incompatible");
  });

  it("needs exactly one of --cuda and --image; prints a readable verdict", async () => {
    await expect(compatJson({ driver: "535.104.05" })).rejects.toMatchObject({ code: "GP_INVALID_ARGUMENT" });
    const text = await capture((w) => runCompatCommand({ cuda: "12.4", driver: "550.54.14" }, w));
    expect(text).toMatch(/^compatible: CUDA 12\.4 on driver 550\.54\.14/);
  });
});

// The built CLI, end to end; `npm ci` builds it (prepare), so CI always runs these.
if (!BUILT && process.env.CI) throw new Error("dist/ is missing: npm ci should have built the CLI");
describe.skipIf(!BUILT)("./bin/gpupool as a subprocess (run `npm run build` first)", () => {
  let fake: FakeBin | undefined;
  afterEach(() => fake?.cleanup());

  it("gpus --json runs the nvidia-smi on PATH (a fake printing the 2 × A5000 fixture)", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_QX: fixturePath("q-x/telegraf-2x-rtx-a5000-590.44.01.xml") },
    );
    const r = await runCommand(process.execPath, [BIN, "gpus", "--json"], {
      env: fake.env,
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.gpus.map((g: { model: string; simulated: boolean }) => [g.model, g.simulated])).toEqual([
      ["RTX-A5000", false],
      ["RTX-A5000", false],
    ]);
    expect(fake.calls()).toEqual(["-q -x", "topo -m"]);
  });

  it("a hung nvidia-smi: exit 4 with GP_NVIDIA_SMI_TIMEOUT within the deadline", async () => {
    fake = installFakeBins({ "nvidia-smi": "fake-nvidia-smi.sh" }, { FAKE_SMI_SLEEP: "30" });
    const t0 = Date.now();
    const r = await runCommand(process.execPath, [BIN, "gpus", "--timeout", "500"], {
      env: fake.env,
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/error\[GP_NVIDIA_SMI_TIMEOUT\]/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("compat --cuda 12.4 --driver 535.104.05 --json", async () => {
    const r = await runCommand(process.execPath, [
      BIN,
      "compat",
      "--cuda",
      "12.4",
      "--driver",
      "535.104.05",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      verdict: "minor-version-compatible",
      requiredDriver: "550.54.14",
    });
  });

  it("a bad driver version: exit 2 with GP_INVALID_DRIVER_VERSION", async () => {
    const r = await runCommand(process.execPath, [BIN, "compat", "--cuda", "12.4", "--driver", "latest"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/GP_INVALID_DRIVER_VERSION/);
  });
});
