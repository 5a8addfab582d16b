import { afterEach, describe, expect, it } from "vitest";
import { GpupoolError } from "../core/errors.js";
import {
  discoverGpus,
  inventoryFromSmi,
  inventoryFromXmlFile,
  mergeMigListing,
  queryComputeApps,
} from "./discover.js";
import { parseSmiList } from "./smi-list.js";
import { nvidiaSmiRunner } from "./smi-runner.js";
import { parseSmiXml } from "./smi-xml.js";
import { type FakeBin, installFakeBins } from "./test-support/fake-bin.js";
import { fixturePath, readFixture } from "./test-support/fixtures.js";

let fake: FakeBin | undefined;
afterEach(() => fake?.cleanup());

describe("discoverGpus through a fake nvidia-smi subprocess", () => {
  it("8 × V100S: GPUs from -q -x, NVLink groups from topo -m", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      {
        FAKE_SMI_QX: fixturePath("q-x/datakit-8x-tesla-v100s-pcie-32gb-460.73.01.xml"),
        FAKE_SMI_TOPO: fixturePath("topo/dgx-a100-8gpu-12nic-topo-m.txt"),
      },
    );
    const inv = await discoverGpus(nvidiaSmiRunner({ env: fake.env }));
    expect(inv.gpus).toHaveLength(8);
    expect(inv.gpus.map((g) => g.model)).toEqual(Array(8).fill("V100-32GB"));
    expect(inv.nvlinkGroups).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(inv.gpus.map((g) => g.numaNode)).toEqual([3, 3, 1, 1, 7, 7, 5, 5]);
    expect(inv.gpus[0]!.cpuAffinity).toBe("48-63,176-191");
    expect(inv.simulated).toBe(false);
    // No MIG GPU here, so -L is not asked for.
    expect(fake.calls()).toEqual(["-q -x", "topo -m"]);
  });

  it("a topo failure only loses NVLink groups; a single GPU skips topo", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_QX: fixturePath("q-x/telegraf-2x-rtx-a5000-590.44.01.xml") },
    );
    const inv = await discoverGpus(nvidiaSmiRunner({ env: fake.env }));
    expect(inv.gpus.map((g) => g.uuid)).toEqual([
      "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
      "GPU-12345678-aaaa-bbbb-cccc-0123456789cd",
    ]);
    expect(inv.nvlinkGroups).toEqual([]);
  });

  it("a MIG GPU triggers -L", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_QX: fixturePath("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml") },
    );
    const inv = await discoverGpus(nvidiaSmiRunner({ env: fake.env }));
    expect(fake.calls()).toEqual(["-q -x", "-L"]);
    expect(inv.gpus[0]!.migDevices).toHaveLength(4);
  });

  it("garbage from nvidia-smi → GP_NVIDIA_SMI_PARSE", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_QX: fixturePath("topo/dgx1-8gpu-4nic-topo-mp.txt") },
    );
    await expect(discoverGpus(nvidiaSmiRunner({ env: fake.env }))).rejects.toMatchObject({
      code: "GP_NVIDIA_SMI_PARSE",
    });
  });

  it("a slow nvidia-smi fails discovery with GP_NVIDIA_SMI_TIMEOUT", async () => {
    fake = installFakeBins({ "nvidia-smi": "fake-nvidia-smi.sh" }, { FAKE_SMI_SLEEP: "20" });
    await expect(discoverGpus(nvidiaSmiRunner({ env: fake.env, timeoutMs: 300 }))).rejects.toMatchObject({
      code: "GP_NVIDIA_SMI_TIMEOUT",
    });
  });

  it("queryComputeApps reads per-process memory through the fake", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      { FAKE_SMI_APPS: fixturePath("compute-apps/h100-80gb-hbm3-mig-590.48.01-load.csv") },
    );
    const apps = await queryComputeApps(nvidiaSmiRunner({ env: fake.env }));
    expect(apps.map((a) => [a.pid, a.usedMemoryMiB])).toEqual([
      [21180, 2296],
      [21181, 1272],
      [21198, 7484],
    ]);
  });
});

describe("merging -L into -q -x", () => {
  it("takes MIG UUIDs and exact profiles from -L by UUID and keeps -q -x memory and GI/CI", () => {
    const xml = readFixture("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml");
    const gpus = parseSmiXml(xml).gpus;
    // A listing for this GPU, in the 590 `-L` layout (synthetic: no real -L of this host exists).
    const list = [
      "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-513536b6-7d19-9063-b049-1e69664bb298)",
      ...[0, 1, 2, 3].map(
        (i) => `  MIG 1g.20gb     Device  ${i}: (UUID: MIG-0000000${i}-1111-2222-3333-444444444444)`,
      ),
    ].join("\n");
    const merged = mergeMigListing(gpus, parseSmiList(list));
    expect(
      merged[0]!.migDevices.map((d) => [d.uuid, d.profile, d.profileSource, d.gpuInstanceId, d.memoryMiB]),
    ).toEqual(
      [0, 1, 2, 3].map((i) => [
        `MIG-0000000${i}-1111-2222-3333-444444444444`,
        "1g.20gb",
        "list",
        i + 3,
        19968,
      ]),
    );
    // A listing of another GPU (different UUID) changes nothing.
    expect(
      mergeMigListing(gpus, parseSmiList(readFixture("list/h100-80gb-hbm3-mig-mixed-L-crlf.txt"))),
    ).toEqual(gpus);
  });

  it("inventoryFromXmlFile reads a saved document; a missing file is GP_INVALID_ARGUMENT", async () => {
    const inv = await inventoryFromXmlFile(fixturePath("q-x/telegraf-tesla-t4-515.105.01.xml"));
    expect(inv.source).toMatch(/^file:.*tesla-t4/);
    expect(inv.gpus[0]!.model).toBe("T4");
    await expect(inventoryFromXmlFile("/nonexistent.xml")).rejects.toBeInstanceOf(GpupoolError);
    expect(() => inventoryFromSmi("<nvidia_smi_log>", "x")).toThrow(/cannot read `nvidia-smi -q -x`/);
  });
});
