import { describe, expect, it } from "vitest";
import { findGpuModel, GPU_MODELS, requireGpuModel } from "../core/catalog.js";
import { inferMigProfile } from "./mig-infer.js";
import { gpuInstanceProfile } from "./smi-list.js";
import { parseSmiTable, type SmiTable } from "./smi-table.js";
import { parseSmiXml } from "./smi-xml.js";
import { splitCapture } from "./test-support/capture.js";
import { readFixture } from "./test-support/fixtures.js";

/**
 * Every figure of the catalog's MIG tables and every GPU's memory, with where it comes from
 * (src/core/catalog-mig.ts and catalog-models.ts name the sources in full):
 * - fixture: a file under fixtures/nvidia-smi/ (a capture section after "#"); the test reads it and
 *   finds a GPU / MIG device of that model with that size, inferred as that profile;
 * - cited: a public output that may not be copied (license), named by tag; the figure is as printed;
 * - same slices: the size of the named profile on the same model, which uses the same memory slices;
 * - as <model>: the same MIG table as that model;
 * - nominal: the profile name's (or datasheet's) GB × 1024, no output found;
 * - untraced: seen in many public outputs, none of which could be tied to a named source.
 */

type Basis =
  | { readonly fixture: string }
  | { readonly cited: string }
  | { readonly sameSlices: string }
  | { readonly as: string }
  | { readonly nominal: string }
  | { readonly untraced: string };

interface Row {
  readonly model: string;
  readonly profile: string;
  readonly memoryMiB: number;
  readonly source: Basis;
}

const GUIDE = "NVIDIA MIG User Guide, Supported MIG Profiles";
const PARTED = "NVIDIA mig-parted default config (GPU Operator)";
const H100_CAPTURE = "captures/nvidia_gpu_exporter__linux-x86_64__nvidia-h100-mig__590.48.01.txt";
const H100_TABLE = `${H100_CAPTURE}#idle :: nvidia-smi (default table)`;
const H200_590 = "added/table/h200-mig-590.48.01-table.txt";
const H200_580 = "added/table/h200-mig-580.173.02-table.txt";

const r = (model: string, profile: string, memoryMiB: number, source: Basis): Row => ({
  model,
  profile,
  memoryMiB,
  source,
});
const cited = (tag: string) => ({ cited: tag });
const nominal = (doc: string = GUIDE) => ({ nominal: doc });

const MIG_ROWS: Row[] = [
  r("A100-40GB", "1g.5gb", 4864, cited("GO-NVML")),
  r("A100-40GB", "1g.5gb+me", 4864, cited("GO-NVML")),
  r("A100-40GB", "1g.10gb", 9856, cited("GO-NVML")),
  r("A100-40GB", "2g.10gb", 9856, cited("GO-NVML")),
  r("A100-40GB", "3g.20gb", 19968, cited("GO-NVML")),
  r("A100-40GB", "4g.20gb", 19968, cited("GO-NVML")),
  r("A100-40GB", "7g.40gb", 40192, cited("GO-NVML")),

  r("A100-80GB", "1g.10gb", 10240, nominal()),
  r("A100-80GB", "1g.10gb+me", 10240, nominal()),
  r("A100-80GB", "1g.20gb", 19968, { fixture: "q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml" }),
  r("A100-80GB", "2g.20gb", 19968, { sameSlices: "1g.20gb" }),
  r("A100-80GB", "3g.40gb", 40960, nominal()),
  r("A100-80GB", "4g.40gb", 40960, nominal()),
  r("A100-80GB", "7g.80gb", 81920, nominal()),

  r("A30", "1g.6gb", 5952, cited("SL-A30")),
  r("A30", "1g.6gb+me", 5952, cited("SL-A30")),
  r("A30", "2g.12gb", 11968, cited("SL-A30")),
  r("A30", "2g.12gb+me", 11968, { sameSlices: "2g.12gb" }),
  r("A30", "4g.24gb", 24064, cited("SL-A30")),

  r("H100-80GB", "1g.10gb", 9984, { fixture: H100_TABLE }),
  r("H100-80GB", "1g.10gb+me", 9984, { sameSlices: "1g.10gb" }),
  r("H100-80GB", "1g.20gb", 20096, cited("JB-H100")),
  r("H100-80GB", "2g.20gb", 20096, { fixture: H100_TABLE }),
  r("H100-80GB", "3g.40gb", 40448, { fixture: H100_TABLE }),
  r("H100-80GB", "4g.40gb", 40448, cited("JB-H100")),
  r("H100-80GB", "7g.80gb", 81152, cited("JB-H100")),

  ...["1g.10gb", "1g.10gb+me", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"].map((p) =>
    r("H100-PCIe", p, 1024 * Number(/\.(\d+)gb/.exec(p)![1]), nominal()),
  ),

  r("H100-NVL", "1g.12gb", 11008, cited("AZ-NVL")),
  r("H100-NVL", "1g.12gb+me", 11008, cited("AZ-NVL")),
  r("H100-NVL", "1g.24gb", 22144, cited("AZ-NVL")),
  r("H100-NVL", "2g.24gb", 22144, cited("AZ-NVL")),
  r("H100-NVL", "3g.47gb", 47488, cited("AZ-NVL")),
  r("H100-NVL", "4g.47gb", 47488, cited("AZ-NVL")),
  r("H100-NVL", "7g.94gb", 95360, cited("AZ-NVL")),

  r("GH200", "1g.12gb", 11264, cited("KF-GH200")),
  r("GH200", "1g.12gb+me", 11264, cited("KF-GH200")),
  r("GH200", "1g.24gb", 23552, cited("KF-GH200")),
  r("GH200", "2g.24gb", 23552, cited("KF-GH200")),
  r("GH200", "3g.48gb", 47616, cited("KF-GH200")),
  r("GH200", "4g.48gb", 47616, cited("KF-GH200")),
  r("GH200", "7g.96gb", 95232, cited("KF-GH200")),

  ...["1g.18gb", "1g.18gb+me", "1g.36gb", "2g.36gb", "3g.72gb", "4g.72gb", "7g.144gb"].map((p) =>
    r("GH200-144GB", p, 1024 * Number(/\.(\d+)gb/.exec(p)![1]), nominal(PARTED)),
  ),
  ...["1g.12gb", "1g.12gb+me", "1g.24gb", "2g.24gb", "3g.48gb", "4g.48gb", "7g.96gb"].map((p) =>
    r("H20", p, 1024 * Number(/\.(\d+)gb/.exec(p)![1]), nominal(PARTED)),
  ),

  r("H200", "1g.18gb", 16384, { fixture: H200_590 }),
  r("H200", "1g.18gb+me", 16384, { sameSlices: "1g.18gb" }),
  r("H200", "1g.35gb", 33280, { sameSlices: "2g.35gb" }),
  r("H200", "2g.35gb", 33280, { fixture: H200_590 }),
  r("H200", "3g.71gb", 71424, { fixture: H200_580 }),
  r("H200", "4g.71gb", 71424, { sameSlices: "3g.71gb" }),
  r("H200", "7g.141gb", 144384, nominal()),

  ...["1g.23gb", "1g.23gb+me", "1g.45gb", "2g.45gb", "3g.90gb", "4g.90gb", "7g.180gb"].map((p) =>
    r("B200", p, 1024 * Number(/\.(\d+)gb/.exec(p)![1]), nominal()),
  ),
  ...["1g.23gb", "1g.23gb+me", "1g.47gb", "2g.47gb", "3g.93gb", "4g.93gb", "7g.186gb"].map((p) =>
    r("GB200", p, 1024 * Number(/\.(\d+)gb/.exec(p)![1]), nominal(PARTED)),
  ),
  ...["1g.34gb", "1g.67gb", "2g.67gb", "3g.135gb", "4g.135gb", "7g.269gb"].map((p) =>
    r("B300", p, 1024 * Number(/\.(\d+)gb/.exec(p)![1]), nominal("HP-B300")),
  ),
  ...["1g.24gb", "2g.48gb", "4g.96gb"].map((p) =>
    r("RTX-PRO-6000-Blackwell", p, 1024 * Number(/\.(\d+)gb/.exec(p)![1]), nominal()),
  ),
];

/** Models that share another's MIG table object. */
const SAME_TABLE: Record<string, string> = { "H200-NVL": "H200" };

interface MemoryRow {
  readonly model: string;
  readonly memoryMiB: number;
  readonly source: Basis;
}

const q = (file: string) => ({ fixture: `q-x/${file}` });
const MEMORY_ROWS: MemoryRow[] = [
  { model: "A100-40GB", memoryMiB: 40960, source: nominal("A100 datasheet, 40GB") },
  { model: "A100-80GB", memoryMiB: 81920, source: q("telegraf-a100-sxm4-80gb-mig-535.54.03.xml") },
  { model: "A30", memoryMiB: 24576, source: nominal("MIG User Guide, Supported GPUs: 24GB") },
  { model: "A10", memoryMiB: 23028, source: cited("leptonai/gpud e2e/mock/nvidia-smi/test_data.go") },
  { model: "A10G", memoryMiB: 23028, source: q("telegraf-a10g-515.105.01.xml") },
  { model: "A40", memoryMiB: 46068, source: cited("thamada/nvidia-smi nvsim/A40x10_smi.py") },
  { model: "RTX-A5000", memoryMiB: 24564, source: q("telegraf-2x-rtx-a5000-590.44.01.xml") },
  { model: "RTX-3080", memoryMiB: 10240, source: q("telegraf-rtx-3080-595.58.03.xml") },
  { model: "RTX-3090", memoryMiB: 24576, source: q("telegraf-rtx-3090-525.147.05.xml") },
  { model: "L4", memoryMiB: 23034, source: { untraced: "public L4 default tables" } },
  { model: "L40S", memoryMiB: 46068, source: { fixture: "added/table/l40s-595.80-table.txt" } },
  { model: "L40", memoryMiB: 49152, source: nominal("L40 datasheet, 48GB") },
  { model: "H100-80GB", memoryMiB: 81559, source: { fixture: H100_TABLE } },
  { model: "H100-PCIe", memoryMiB: 81920, source: nominal("MIG User Guide, Supported GPUs: 80GB") },
  { model: "H100-NVL", memoryMiB: 95830, source: cited("AZ-NVL") },
  { model: "GH200", memoryMiB: 98304, source: nominal("MIG User Guide, Supported GPUs: 96GB") },
  { model: "GH200-144GB", memoryMiB: 147456, source: nominal("GH200 144G HBM3e") },
  { model: "H20", memoryMiB: 98304, source: nominal("MIG User Guide, Supported GPUs: 96GB") },
  { model: "H200", memoryMiB: 143771, source: { fixture: H200_590 } },
  { model: "H200-NVL", memoryMiB: 144384, source: nominal("MIG User Guide, Supported GPUs: 141GB") },
  { model: "B200", memoryMiB: 183359, source: { untraced: "public B200 default tables" } },
  { model: "GB200", memoryMiB: 190464, source: nominal("MIG User Guide, Supported GPUs: 186GB") },
  { model: "B300", memoryMiB: 275456, source: nominal("HP-B300: 7g.269gb") },
  { model: "GB300", memoryMiB: 294912, source: nominal("GB300 datasheet, 288GB") },
  {
    model: "RTX-PRO-6000-Blackwell",
    memoryMiB: 97887,
    source: q("telegraf-rtx-pro-6000-blackwell-maxq-590.44.01.xml"),
  },
  { model: "T4", memoryMiB: 15360, source: q("telegraf-tesla-t4-515.105.01.xml") },
];
/** Parts older than MIG, kept as they were (not part of this table). */
const PRE_AMPERE = new Set(["V100-16GB", "V100-32GB", "P100-16GB", "GTX-1660-Ti"]);

/** A default table from a fixture path, with "#<section title>" selecting a capture section. */
function tableOf(path: string): SmiTable {
  const [file, section] = path.split("#");
  const text = readFixture(file!);
  if (section === undefined) return parseSmiTable(text);
  const found = splitCapture(text).find((s) => s.title === section);
  if (!found) throw new Error(`no section "${section}" in ${file}`);
  return parseSmiTable(found.body);
}

/** What a fixture shows: [model, profile (GPU instance), MiB] for each MIG device, and GPU sizes. */
function observed(path: string): { mig: [string, string, number][]; gpus: [string, number][] } {
  if (path.startsWith("q-x/")) {
    const report = parseSmiXml(readFixture(path));
    return {
      mig: report.gpus.flatMap((g) =>
        g.migDevices.map((d): [string, string, number] => [g.model, d.profile ?? "?", d.memoryMiB ?? -1]),
      ),
      gpus: report.gpus.map((g) => [g.model, g.memoryMiB]),
    };
  }
  const t = tableOf(path);
  const modelOf = (i: number) => findGpuModel(t.gpus.find((g) => g.index === i)?.name ?? "");
  return {
    mig: t.migDevices.map((d) => {
      const m = modelOf(d.gpu);
      const p = inferMigProfile(m, {
        memoryMiB: d.memoryTotalMiB,
        sms: d.multiprocessors,
        copyEngines: d.copyEngines,
      });
      return [m?.name ?? "?", p === null ? "?" : gpuInstanceProfile(p), d.memoryTotalMiB];
    }),
    gpus: t.gpus.map((g) => [findGpuModel(g.name)?.name ?? g.name, g.memoryTotalMiB ?? -1]),
  };
}

describe("every catalog MIG size has a source", () => {
  it("the table covers exactly the catalog's MIG profiles, with the catalog's sizes", () => {
    const catalog = GPU_MODELS.filter((m) => !(m.name in SAME_TABLE)).flatMap((m) =>
      m.migProfiles.map((p) => `${m.name} ${p.name} ${p.memoryMiB}`),
    );
    expect(MIG_ROWS.map((x) => `${x.model} ${x.profile} ${x.memoryMiB}`).sort()).toEqual(catalog.sort());
  });

  it.each(Object.entries(SAME_TABLE))("%s uses the MIG table of %s", (model, other) => {
    expect(requireGpuModel(model).migProfiles).toBe(requireGpuModel(other).migProfiles);
  });

  it.each(MIG_ROWS.map((x) => [`${x.model} ${x.profile}`, x] as const))("%s", (_label, row) => {
    const m = requireGpuModel(row.model);
    const p = m.migProfiles.find((x) => x.name === row.profile)!;
    const s = row.source;
    if ("fixture" in s) {
      expect(observed(s.fixture).mig).toContainEqual([row.model, row.profile, row.memoryMiB]);
    } else if ("sameSlices" in s) {
      const sib = m.migProfiles.find((x) => x.name === s.sameSlices)!;
      expect([sib.memorySlices, sib.memoryMiB]).toEqual([p.memorySlices, p.memoryMiB]);
      const sibRow = MIG_ROWS.find((x) => x.model === row.model && x.profile === s.sameSlices)!;
      expect("fixture" in sibRow.source || "cited" in sibRow.source).toBe(true);
    } else if ("nominal" in s) {
      expect(p.memoryMiB).toBe(1024 * Number(/\.(\d+)gb/.exec(p.name)![1]));
    } else {
      expect("cited" in s && s.cited.length > 0).toBe(true);
    }
  });
});

describe("every catalog GPU memory figure has a source", () => {
  it("the table covers every model from Ampere on, with the catalog's figure", () => {
    const catalog = GPU_MODELS.filter((m) => !PRE_AMPERE.has(m.name)).map((m) => `${m.name} ${m.memoryMiB}`);
    expect(MEMORY_ROWS.map((x) => `${x.model} ${x.memoryMiB}`).sort()).toEqual(catalog.sort());
  });

  it.each(MEMORY_ROWS.filter((x) => "fixture" in x.source).map((x) => [x.model, x] as const))(
    "%s: the fixture shows it",
    (_m, row) => {
      const s = row.source;
      if (!("fixture" in s)) throw new Error("unreachable");
      expect(observed(s.fixture).gpus).toContainEqual([row.model, row.memoryMiB]);
    },
  );
});
