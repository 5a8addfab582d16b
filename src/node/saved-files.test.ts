import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { discoverGpus } from "./discover.js";
import { runGpusCommand } from "./gpus-command.js";
import { nvidiaSmiRunner } from "./smi-runner.js";
import { type FakeBin, installFakeBins } from "./test-support/fake-bin.js";
import { fixturePath, readFixture } from "./test-support/fixtures.js";
import { renderLci, renderLgi } from "./test-support/mig-listing.js";

/**
 * `gpupool gpus` on saved files of every kind it reads, and one unreadable line in a best-effort
 * output. The bad lines are put into real outputs: an infoROM warning as the driver prints it
 * ("WARNING: infoROM is corrupted at gpu <bus id>") and the legacy `SOC` link code older drivers
 * printed where newer ones print SYS.
 */

const dir = mkdtempSync(join(tmpdir(), "gpupool-saved-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function saved(text: string): string {
  const path = join(dir, `f${n++}.txt`);
  writeFileSync(path, text);
  return path;
}

async function gpus(opts: Parameters<typeof runGpusCommand>[0]): Promise<string> {
  let out = "";
  await runGpusCommand(opts, (s) => {
    out += s;
  });
  return out;
}
const json = async (opts: Parameters<typeof runGpusCommand>[0]) =>
  JSON.parse(await gpus({ ...opts, json: true }));

const INFOROM = "WARNING: infoROM is corrupted at gpu 0000:04:00.0";
const DGX_A100 = readFixture("topo/dgx-a100-8gpu-12nic-topo-m.txt");
const DGX1 = readFixture("topo/dgx1-8gpu-4nic-topo-mp.txt");
const A100_QX = readFixture("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml");

/** The DGX A100 matrix with GPU2's link to GPU5 made unreadable. */
function withBadCell(text: string): string {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith("GPU2\t"));
  const cells = lines[at]!.split("\t");
  cells[6] = "N?";
  lines[at] = cells.join("\t");
  return lines.join("\n");
}

describe("gpus --nvidia-smi-topo FILE", () => {
  it("a saved DGX A100 matrix: affinity, NUMA and one NVLink group of 8, no warnings", async () => {
    const j = await json({ nvidiaSmiTopo: fixturePath("topo/dgx-a100-8gpu-12nic-topo-m.txt") });
    expect(j.topology.nvlinkGroups).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(j.topology.gpus[0]).toMatchObject({ index: 0, cpuAffinity: "48-63,176-191", numaNode: 3 });
    expect(j.topology.gpus[0].links["1"]).toBe("NV12");
    expect(j.warnings).toEqual([]);
    expect(j.list).toBeNull();
  });

  it("one unreadable cell loses only that link, with a warning; the other 55 links stand", async () => {
    const j = await json({ nvidiaSmiTopo: saved(withBadCell(DGX_A100)) });
    expect(j.warnings).toEqual([
      expect.stringMatching(/bad link "N\?" between GPU2 and GPU5; that link is left out/),
    ]);
    expect(j.topology.gpus[2].links["5"]).toBeUndefined();
    const links = j.topology.gpus.reduce(
      (s: number, g: { links: object }) => s + Object.keys(g.links).length,
      0,
    );
    expect(links).toBe(55);
    expect(j.topology.nvlinkGroups).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
  });

  it("a legacy SOC link is read as SYS, with a warning", async () => {
    const legacy = DGX1.replace(/^(GPU0(?:\t[^\t\n]*){4}\t)SYS/m, "$1SOC");
    expect(legacy).not.toBe(DGX1);
    const out = await gpus({ nvidiaSmiTopo: saved(legacy) });
    expect(out).toMatch(/Topology \(topo -m\):/);
    expect(out).toMatch(/Warnings:\n {2}nvidia-smi topo -m: GPU0–GPU4: legacy link "SOC" read as SYS/);
    const j = await json({ nvidiaSmiTopo: saved(legacy) });
    expect(j.topology.gpus[0].links["4"]).toBe("SYS");
  });

  it("a file that holds no matrix at all is GP_NVIDIA_SMI_PARSE", async () => {
    await expect(
      gpus({ nvidiaSmiTopo: saved("NVIDIA-SMI has failed because it couldn't communicate\n") }),
    ).rejects.toMatchObject({
      code: "GP_NVIDIA_SMI_PARSE",
    });
  });
});

describe("gpus --nvidia-smi-list FILE", () => {
  it("a saved -L with an infoROM warning among its lines: every GPU and MIG device, and the warning", async () => {
    const text = readFixture("list/h100-80gb-hbm3-mig-590.48.01-L.txt").replace(/\n/, `\n${INFOROM}\n`);
    const j = await json({ nvidiaSmiList: saved(text) });
    expect(j.list).toHaveLength(1);
    expect(j.list[0]).toMatchObject({ model: "H100-80GB", name: "NVIDIA H100 80GB HBM3" });
    expect(j.list[0].migDevices.map((d: { profile: string }) => d.profile)).toEqual([
      "3g.40gb",
      "2g.20gb",
      "1g.10gb",
      "1g.10gb",
    ]);
    expect(j.warnings).toEqual([
      expect.stringContaining(`unrecognised nvidia-smi -L line: "${INFOROM}"; skipped`),
    ]);
  });

  it("the CRLF H100 listing and the R450 legacy-UUID A100 listing read without warnings", async () => {
    for (const f of [
      "list/h100-80gb-hbm3-mig-mixed-L-crlf.txt",
      "list/a100-sxm4-40gb-mig-r450-legacy-uuid-L.txt",
    ]) {
      const j = await json({ nvidiaSmiList: fixturePath(f) });
      expect(j.warnings, f).toEqual([]);
      expect(j.list[0].migDevices.length, f).toBeGreaterThan(0);
    }
  });
});

describe("gpus --nvidia-smi-mig FILE", () => {
  it("saved -lgi and -lci: the GPU and compute instances with their placements", async () => {
    const text =
      renderLgi([
        [0, "3g.40gb", 9, 2, 4, 4],
        [0, "2g.20gb", 14, 3, 0, 2],
      ]) +
      renderLci([
        [0, 2, "3g.40gb", 2, 0, 0, 3],
        [0, 3, "2g.20gb", 1, 0, 0, 2],
      ]);
    const out = await gpus({ nvidiaSmiMig: saved(text) });
    expect(out).toMatch(
      /MIG instances \(mig -lgi \/ -lci\):\n.*\n.*\n0\s+3\s+2g\.20gb\s+0:2\s+0:2g\.20gb\n0\s+2\s+3g\.40gb\s+4:4\s+0:3g\.40gb/,
    );
  });

  it("merged into a saved -q -x: MIG devices named by their GI/CI, and the layout per GPU", async () => {
    // The A100 document's four MIG devices are GI 3..6, CI 0 each (1g.20gb, two memory slices).
    const mig =
      renderLgi([3, 4, 5, 6].map((gi, i) => [0, "1g.20gb", 15, gi, 2 * i, 2] as const)) +
      renderLci([3, 4, 5, 6].map((gi) => [0, gi, "1g.20gb", 7, 0, 0, 1] as const));
    const j = await json({
      nvidiaSmiXml: fixturePath("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml"),
      nvidiaSmiMig: saved(mig),
    });
    expect(j.gpus[0].migDevices.map((d: { profile: string }) => d.profile)).toEqual(Array(4).fill("1g.20gb"));
    expect(
      j.gpus[0].migLayout.map((g: { gpuInstanceId: number; start: number }) => [g.gpuInstanceId, g.start]),
    ).toEqual([
      [3, 0],
      [4, 2],
      [5, 4],
      [6, 6],
    ]);
    expect(j.warnings).toEqual([]);
  });
});

describe("a saved -q -x with best-effort files that are partly or wholly unreadable", () => {
  it("an infoROM warning before the XML document: the inventory is built, the line is a warning", async () => {
    const j = await json({ nvidiaSmiXml: saved(`${INFOROM}\n${A100_QX}`) });
    expect(j.gpus).toHaveLength(1);
    expect(j.gpus[0].model).toBe("A100-80GB");
    expect(j.warnings).toEqual([`nvidia-smi -q -x: skipped a line before the document: "${INFOROM}"`]);
  });

  it("a topo -m that is no matrix only loses NVLink and affinity, with a warning", async () => {
    const j = await json({
      nvidiaSmiXml: fixturePath("q-x/datakit-8x-tesla-v100s-pcie-32gb-460.73.01.xml"),
      nvidiaSmiTopo: saved("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"),
    });
    expect(j.gpus).toHaveLength(8);
    expect(j.nvlinkGroups).toEqual([]);
    expect(j.warnings).toEqual([expect.stringMatching(/^nvidia-smi topo -m not used: .*no header row/)]);
  });

  it("8 × V100S with the DGX-1 matrix made legacy (SOC): NUMA and groups still come through", async () => {
    const legacy = DGX1.replaceAll("SYS", "SOC");
    const j = await json({
      nvidiaSmiXml: fixturePath("q-x/datakit-8x-tesla-v100s-pcie-32gb-460.73.01.xml"),
      nvidiaSmiTopo: saved(legacy),
    });
    expect(j.warnings.length).toBeGreaterThan(0);
    expect(j.warnings.every((w: string) => /legacy link "SOC" read as SYS/.test(w))).toBe(true);
    expect(j.gpus.every((g: { cpuAffinity: string | null }) => g.cpuAffinity !== null)).toBe(true);
  });

  it("--simulate with a saved file is refused; a saved file that cannot be read is GP_INVALID_ARGUMENT", async () => {
    await expect(gpus({ simulate: "1xT4", nvidiaSmiTopo: "x" })).rejects.toMatchObject({
      code: "GP_INVALID_ARGUMENT",
    });
    await expect(gpus({ nvidiaSmiList: "/nonexistent/L.txt" })).rejects.toMatchObject({
      code: "GP_INVALID_ARGUMENT",
    });
  });
});

describe("live discovery degrades the same way", () => {
  let fake: FakeBin | undefined;
  afterEach(() => fake?.cleanup());

  it("an infoROM warning ahead of -q -x and one bad topo cell: GPUs found, warnings kept", async () => {
    fake = installFakeBins(
      { "nvidia-smi": "fake-nvidia-smi.sh" },
      {
        FAKE_SMI_QX: saved(
          `${INFOROM}\n${readFixture("q-x/datakit-8x-tesla-v100s-pcie-32gb-460.73.01.xml")}`,
        ),
        FAKE_SMI_TOPO: saved(withBadCell(DGX_A100)),
      },
    );
    const inv = await discoverGpus(nvidiaSmiRunner({ env: fake.env }));
    expect(inv.gpus).toHaveLength(8);
    expect(inv.nvlinkGroups).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(inv.warnings).toEqual([
      `nvidia-smi -q -x: skipped a line before the document: "${INFOROM}"`,
      expect.stringMatching(/bad link "N\?" between GPU2 and GPU5/),
    ]);
  });
});
