import { describe, expect, it } from "vitest";
import { findGpuModel, requireGpuModel } from "../core/catalog.js";
import { inferMigProfile } from "./mig-infer.js";
import { gpuInstanceProfile, parseSmiList } from "./smi-list.js";
import { parseSmiTable } from "./smi-table.js";
import { parseSmiXml } from "./smi-xml.js";
import { splitCapture } from "./test-support/capture.js";
import { fixtureFiles, readFixture } from "./test-support/fixtures.js";

const H100_CAPTURE = "captures/nvidia_gpu_exporter__linux-x86_64__nvidia-h100-mig__590.48.01.txt";

/** Profiles a default table's MIG devices infer to, in device order. */
function inferredFromTable(text: string): (string | null)[] {
  const t = parseSmiTable(text);
  return t.migDevices.map((d) =>
    inferMigProfile(findGpuModel(t.gpus.find((g) => g.index === d.gpu)!.name), {
      memoryMiB: d.memoryTotalMiB,
      sms: d.multiprocessors,
      copyEngines: d.copyEngines,
    }),
  );
}

const listed = (text: string) => parseSmiList(text).flatMap((g) => g.migDevices.map((d) => d.profile));

describe("MIG profile inference on every MIG device of the real outputs", () => {
  it("H100 capture (idle and under load): the MIG devices table agrees with the same capture's -L", () => {
    const sections = splitCapture(readFixture(H100_CAPTURE));
    const list = listed(sections.find((s) => s.command === "nvidia-smi -L")!.body);
    expect(list).toEqual(["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"]);
    const tables = sections.filter((s) => /:: nvidia-smi \(default table\)$/.test(s.title));
    expect(tables.map((s) => s.title)).toEqual([
      "idle :: nvidia-smi (default table)",
      "load :: nvidia-smi (default table)",
    ]);
    for (const s of tables) expect(inferredFromTable(s.body)).toEqual(list);
  });

  it("H200 590.48.01: two compute instances of one 3g.71gb GI come out as 1c./2c.3g.71gb, as -L says", () => {
    expect(inferredFromTable(readFixture("added/table/h200-mig-590.48.01-table.txt"))).toEqual(
      listed(readFixture("list/h200-mig-590.48.01-L.txt")),
    );
  });

  it("H200 580.173.02: a whole 3g.71gb (60 SMs, 3 copy engines; a 4g.71gb has 64 and 4)", () => {
    expect(inferredFromTable(readFixture("added/table/h200-mig-580.173.02-table.txt"))).toEqual(["3g.71gb"]);
  });

  it.each(fixtureFiles("q-x"))("q-x/%s: every MIG device gets a profile", (file) => {
    for (const g of parseSmiXml(readFixture(`q-x/${file}`)).gpus) {
      for (const d of g.migDevices) expect(d.profile, `${file} GPU ${g.index} dev ${d.index}`).not.toBeNull();
    }
  });

  it("q-x A100-SXM4-80GB: 19968 MiB with 14 SMs and one copy engine is 1g.20gb, not 2g.20gb", () => {
    const [gpu] = parseSmiXml(readFixture("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml")).gpus;
    expect(gpu!.migDevices.map((d) => d.profile)).toEqual(["1g.20gb", "1g.20gb", "1g.20gb", "1g.20gb"]);
  });

  it.each(fixtureFiles("list"))(
    "list/%s: the catalog knows every GPU-instance profile it lists, for that GPU",
    (file) => {
      for (const g of parseSmiList(readFixture(`list/${file}`))) {
        const m = findGpuModel(g.name);
        expect(m, g.name).toBeDefined();
        for (const d of g.migDevices)
          expect(m!.migProfiles.map((p) => p.name)).toContain(gpuInstanceProfile(d.profile));
      }
    },
  );
});

describe("MIG profile inference on figures cited from outputs that may not be copied", () => {
  // [AZ-NVL] MIG devices table of an H100 NVL (catalog-mig.ts names the source).
  it.each([
    [47488, 60, 3, "3g.47gb"],
    [22144, 26, 1, "1g.24gb"],
    [11008, 16, 1, "1g.12gb"],
  ])("H100 NVL %i MiB, %i SMs, %i CE → %s", (memoryMiB, sms, copyEngines, want) => {
    expect(inferMigProfile(requireGpuModel("H100-NVL"), { memoryMiB, sms, copyEngines })).toBe(want);
  });

  // seansiddens/mps-test README: an A100-40GB 3g.20gb printed as 20224 MiB (42 SMs, 3 CE) at R450,
  // where later drivers print 19968: sizes drift, so they match by nearest slice count.
  it("an older driver's slightly different size still names the profile", () => {
    expect(inferMigProfile(requireGpuModel("A100-40GB"), { memoryMiB: 20224, sms: 42, copyEngines: 3 })).toBe(
      "3g.20gb",
    );
  });
});

describe("MIG profile inference says null when the facts do not decide", () => {
  const h100 = requireGpuModel("H100-80GB");
  it.each([
    ["no model", undefined, { memoryMiB: 9984, sms: 16 }],
    ["a model without MIG", requireGpuModel("L40S"), { memoryMiB: 9984, sms: 16 }],
    ["no memory", h100, { memoryMiB: null, sms: 16 }],
    ["a size far from every profile", h100, { memoryMiB: 3000, sms: 16 }],
    ["3g or 4g with neither SMs nor copy engines", h100, { memoryMiB: 40448, sms: null }],
  ] as const)("%s", (_what, model, facts) => {
    expect(inferMigProfile(model, facts)).toBeNull();
  });

  it("nominal sizes (no output found) still match the nearest profile: B200 1g.23gb at 22.5 GiB", () => {
    expect(inferMigProfile(requireGpuModel("B200"), { memoryMiB: 23040, sms: null })).toBe("1g.23gb");
  });
});
