import { GpupoolError } from "./errors.js";

/**
 * The GPU catalog: facts about the models gpupool knows (../shared/design/GPU-FACTS.md and NVIDIA's
 * datasheets). Memory is in MiB as NVML reports it; MIG geometry follows NVIDIA's MIG user guide.
 */

/** One MIG GPU-instance profile. Placement is in memory slices (8 per GPU for A100/H100/H200). */
export interface MigProfile {
  readonly name: string;
  /** Compute slices ("Ng" = N of 7). */
  readonly computeSlices: number;
  /** Memory slices the instance occupies. */
  readonly memorySlices: number;
  readonly memoryMiB: number;
  /** The most instances of this profile one GPU can hold. */
  readonly maxCount: number;
  /** Allowed start positions, in memory slices. */
  readonly starts: readonly number[];
}

export interface GpuModel {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly memoryMiB: number;
  readonly sms: number;
  readonly cudaCores: number;
  readonly computeCapability: string;
  /** Datacenter GPUs can use CUDA forward compatibility (cuda-compat); GeForce/workstation cannot. */
  readonly datacenter: boolean;
  /** MIG profiles when the model supports MIG; empty otherwise. */
  readonly migProfiles: readonly MigProfile[];
  /** Memory slices per GPU for MIG placement (0 without MIG). */
  readonly migMemorySlices: number;
}

type MigRow = [name: string, g: number, memSlices: number, memMiB: number, max: number, starts: number[]];

function migTable(rows: MigRow[]): MigProfile[] {
  return rows.map(([name, computeSlices, memorySlices, memoryMiB, maxCount, starts]) => ({
    name,
    computeSlices,
    memorySlices,
    memoryMiB,
    maxCount,
    starts,
  }));
}

const ALL7 = [0, 1, 2, 3, 4, 5, 6];
const A100_40_MIG = migTable([
  ["1g.5gb", 1, 1, 4864, 7, ALL7],
  ["1g.5gb+me", 1, 1, 4864, 1, ALL7],
  ["1g.10gb", 1, 2, 9856, 4, [0, 2, 4, 6]],
  ["2g.10gb", 2, 2, 9856, 3, [0, 2, 4]],
  ["3g.20gb", 3, 4, 19968, 2, [0, 4]],
  ["4g.20gb", 4, 4, 19968, 1, [0]],
  ["7g.40gb", 7, 8, 40192, 1, [0]],
]);
const X80_MIG = migTable([
  ["1g.10gb", 1, 1, 9856, 7, ALL7],
  ["1g.10gb+me", 1, 1, 9856, 1, ALL7],
  ["1g.20gb", 1, 2, 19968, 4, [0, 2, 4, 6]],
  ["2g.20gb", 2, 2, 19968, 3, [0, 2, 4]],
  ["3g.40gb", 3, 4, 40192, 2, [0, 4]],
  ["4g.40gb", 4, 4, 40192, 1, [0]],
  ["7g.80gb", 7, 8, 80384, 1, [0]],
]);
const H200_MIG = migTable([
  ["1g.18gb", 1, 1, 18432, 7, ALL7],
  ["1g.18gb+me", 1, 1, 18432, 1, ALL7],
  ["1g.35gb", 1, 2, 35840, 4, [0, 2, 4, 6]],
  ["2g.35gb", 2, 2, 35840, 3, [0, 2, 4]],
  ["3g.71gb", 3, 4, 72704, 2, [0, 4]],
  ["4g.71gb", 4, 4, 72704, 1, [0]],
  ["7g.141gb", 7, 8, 144384, 1, [0]],
]);

function model(
  name: string,
  aliases: string[],
  memoryMiB: number,
  sms: number,
  cudaCores: number,
  computeCapability: string,
  datacenter: boolean,
  migProfiles: MigProfile[] = [],
): GpuModel {
  return {
    name,
    aliases,
    memoryMiB,
    sms,
    cudaCores,
    computeCapability,
    datacenter,
    migProfiles,
    migMemorySlices: migProfiles.length ? 8 : 0,
  };
}

export const GPU_MODELS: readonly GpuModel[] = [
  model(
    "A100-40GB",
    ["A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB", "A100-PCIE-40GB", "NVIDIA A100-PCIE-40GB"],
    40960,
    108,
    6912,
    "8.0",
    true,
    A100_40_MIG,
  ),
  model(
    "A100-80GB",
    ["A100-SXM4-80GB", "NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB PCIe", "A100-PCIE-80GB"],
    81920,
    108,
    6912,
    "8.0",
    true,
    X80_MIG,
  ),
  model(
    "H100-80GB",
    ["H100-SXM5-80GB", "NVIDIA H100 80GB HBM3", "H100-80GB-HBM3", "NVIDIA H100 PCIe"],
    81559,
    132,
    16896,
    "9.0",
    true,
    X80_MIG,
  ),
  model("H200", ["H200-141GB", "NVIDIA H200", "H200-SXM-141GB"], 143771, 132, 16896, "9.0", true, H200_MIG),
  model(
    "V100-16GB",
    ["V100M16", "Tesla V100-SXM2-16GB", "Tesla V100-PCIE-16GB"],
    16384,
    80,
    5120,
    "7.0",
    true,
  ),
  model(
    "V100-32GB",
    ["V100M32", "V100S-32GB", "Tesla V100-SXM2-32GB", "Tesla V100S-PCIE-32GB", "Tesla V100-PCIE-32GB"],
    32768,
    80,
    5120,
    "7.0",
    true,
  ),
  model("P100-16GB", ["P100", "Tesla P100-PCIE-16GB", "Tesla P100-SXM2-16GB"], 16384, 56, 3584, "6.0", true),
  model("T4", ["Tesla T4", "NVIDIA T4"], 15360, 40, 2560, "7.5", true),
  model("A10", ["NVIDIA A10"], 23028, 72, 9216, "8.6", true),
  model("A10G", ["NVIDIA A10G"], 23028, 80, 9216, "8.6", true),
  model("L4", ["NVIDIA L4"], 23034, 58, 7424, "8.9", true),
  model("RTX-A5000", ["NVIDIA RTX A5000"], 24564, 64, 8192, "8.6", false),
  model("RTX-3080", ["NVIDIA GeForce RTX 3080"], 10240, 68, 8704, "8.6", false),
  model("RTX-3090", ["NVIDIA GeForce RTX 3090"], 24576, 82, 10496, "8.6", false),
  model("GTX-1660-Ti", ["NVIDIA GeForce GTX 1660 Ti", "GeForce GTX 1660 Ti"], 6144, 24, 1536, "7.5", false),
  model(
    "RTX-PRO-6000-Blackwell",
    ["NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition"],
    97887,
    188,
    24064,
    "12.0",
    false,
  ),
];

const BY_NAME = new Map<string, GpuModel>();
for (const m of GPU_MODELS) {
  for (const key of [m.name, ...m.aliases]) BY_NAME.set(key.toLowerCase(), m);
}

/** Finds a model by its gpupool name or any alias (nvidia-smi product names included), case-insensitive. */
export function findGpuModel(name: string): GpuModel | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

export function requireGpuModel(name: string): GpuModel {
  const found = findGpuModel(name);
  if (!found) {
    throw new GpupoolError(
      "GP_UNKNOWN_GPU_MODEL",
      `unknown GPU model "${name}"; known: ${GPU_MODELS.map((m) => m.name).join(", ")}`,
      { model: name },
    );
  }
  return found;
}

export function findMigProfile(model: GpuModel, profile: string): MigProfile | undefined {
  return model.migProfiles.find((p) => p.name === profile);
}

export function requireMigProfile(model: GpuModel, profile: string): MigProfile {
  const found = findMigProfile(model, profile);
  if (!found) {
    const known = model.migProfiles.map((p) => p.name).join(", ") || "none: this model has no MIG";
    throw new GpupoolError(
      "GP_UNKNOWN_MIG_PROFILE",
      `GPU model ${model.name} has no MIG profile "${profile}" (known: ${known})`,
      {
        model: model.name,
        profile,
      },
    );
  }
  return found;
}
