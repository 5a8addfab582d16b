import {
  A30_MIG,
  A100_40GB_MIG,
  A100_80GB_MIG,
  B200_MIG,
  B300_MIG,
  GB200_MIG,
  GH200_96GB_MIG,
  GH200_144GB_MIG,
  H20_MIG,
  H100_80GB_MIG,
  H100_NVL_MIG,
  H100_PCIE_MIG,
  H200_MIG,
  RTX_PRO_6000_MIG,
} from "./catalog-mig.js";
import type { GpuModel, MigProfile } from "./catalog-types.js";

/**
 * The GPU models gpupool knows. `memoryMiB` is the framebuffer nvidia-smi reports; the comment on
 * each entry says where the figure comes from (source tags as in catalog-mig.ts, plus fixture file
 * names under fixtures/nvidia-smi/ and fixtures/nvidia-smi-added/). "Nominal" means the datasheet /
 * MIG user guide size × 1024, used where no public output of the part was found; drivers report
 * somewhat less. SM and core
 * counts are NVIDIA's published figures (../shared/design/GPU-FACTS.md for the older parts).
 * MIG support and instance counts: MIG user guide, "Supported GPUs"
 * (https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-gpus.html).
 */

function model(
  name: string,
  aliases: string[],
  memoryMiB: number,
  sms: number,
  cudaCores: number,
  computeCapability: string,
  datacenter: boolean,
  migProfiles: readonly MigProfile[] = [],
  migSlices: { compute: number; memory: number } = { compute: 7, memory: 8 },
): GpuModel {
  const mig = migProfiles.length > 0;
  return {
    name,
    aliases,
    memoryMiB,
    sms,
    cudaCores,
    computeCapability,
    datacenter,
    migProfiles,
    migMemorySlices: mig ? migSlices.memory : 0,
    migComputeSlices: mig ? migSlices.compute : 0,
  };
}

const FOUR = { compute: 4, memory: 4 };

export const GPU_MODELS: readonly GpuModel[] = [
  // --- Ampere ---
  // Nominal 40 GB (a 450.80.02 default table in [SL-A30]'s README prints 40537 MiB for A100-SXM4-40GB).
  model(
    "A100-40GB",
    ["NVIDIA A100-SXM4-40GB", "A100-SXM4-40GB", "NVIDIA A100-PCIE-40GB", "A100-PCIE-40GB"],
    40960,
    108,
    6912,
    "8.0",
    true,
    A100_40GB_MIG,
  ),
  // 81920 MiB: q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml.
  model(
    "A100-80GB",
    ["NVIDIA A100-SXM4-80GB", "A100-SXM4-80GB", "NVIDIA A100 80GB PCIe", "A100-PCIE-80GB"],
    81920,
    108,
    6912,
    "8.0",
    true,
    A100_80GB_MIG,
  ),
  // Nominal 24 GB; four MIG slices.
  model("A30", ["NVIDIA A30", "A30-24GB"], 24576, 56, 3584, "8.0", true, A30_MIG, FOUR),
  // 23028 MiB: leptonai/gpud (Apache-2.0) e2e/mock/nvidia-smi/test_data.go, a captured A10 table.
  model("A10", ["NVIDIA A10"], 23028, 72, 9216, "8.6", true),
  // 23028 MiB: q-x/telegraf-a10g-515.105.01.xml.
  model("A10G", ["NVIDIA A10G"], 23028, 80, 9216, "8.6", true),
  // 46068 MiB: thamada/nvidia-smi nvsim/A40x10_smi.py, a captured 10 × A40 table (driver 550.127.05).
  model("A40", ["NVIDIA A40"], 46068, 84, 10752, "8.6", true),
  // 24564 MiB: q-x/telegraf-2x-rtx-a5000-590.44.01.xml.
  model("RTX-A5000", ["NVIDIA RTX A5000"], 24564, 64, 8192, "8.6", false),
  // 10240 / 24576 MiB: q-x/telegraf-rtx-3080-595.58.03.xml, q-x/telegraf-rtx-3090-525.147.05.xml.
  model("RTX-3080", ["NVIDIA GeForce RTX 3080"], 10240, 68, 8704, "8.6", false),
  model("RTX-3090", ["NVIDIA GeForce RTX 3090"], 24576, 82, 10496, "8.6", false),

  // --- Ada Lovelace ---
  // 23034 MiB: printed by every public L4 default table seen (e.g. GCP g2 VMs); none of them sits
  // in a repository whose license or name could be established, so this figure is not traced.
  model("L4", ["NVIDIA L4"], 23034, 58, 7424, "8.9", true),
  // 46068 MiB: nvidia-smi-added/table/l40s-595.80-table.txt (NGE linux-x86_64__nvidia-l40s__595.80.txt).
  model("L40S", ["NVIDIA L40S"], 46068, 142, 18176, "8.9", true),
  // Nominal 48 GB (no output found; the L40S, the same board, prints 46068 MiB).
  model("L40", ["NVIDIA L40"], 49152, 142, 18176, "8.9", true),

  // --- Hopper ---
  // 81559 MiB: captures/…h100-mig__590.48.01.txt ([NGE-H100]).
  model(
    "H100-80GB",
    ["NVIDIA H100 80GB HBM3", "H100-SXM5-80GB", "H100-80GB-HBM3"],
    81559,
    132,
    16896,
    "9.0",
    true,
    H100_80GB_MIG,
  ),
  // Nominal 80 GB (no output found).
  model("H100-PCIe", ["NVIDIA H100 PCIe", "H100-PCIE-80GB"], 81920, 114, 14592, "9.0", true, H100_PCIE_MIG),
  // 95830 MiB: [AZ-NVL] default table.
  model("H100-NVL", ["NVIDIA H100 NVL", "H100-94GB"], 95830, 132, 16896, "9.0", true, H100_NVL_MIG),
  // Nominal 96 GB (the GH200's Hopper GPU; 7g.96gb is 95232 MiB in [KF-GH200]).
  model(
    "GH200",
    ["NVIDIA GH200 480GB", "GH200-96GB", "GH200"],
    98304,
    132,
    16896,
    "9.0",
    true,
    GH200_96GB_MIG,
  ),
  // Nominal 144 GB.
  model(
    "GH200-144GB",
    ["NVIDIA GH200 144G HBM3e", "GH200-144G"],
    147456,
    132,
    16896,
    "9.0",
    true,
    GH200_144GB_MIG,
  ),
  // Nominal 96 GB. SM count 78: third-party listings only, not an NVIDIA figure.
  model("H20", ["NVIDIA H20", "H20-96GB"], 98304, 78, 9984, "9.0", true, H20_MIG),
  // 143771 MiB: nvidia-smi-added/table/h200-mig-590.48.01-table.txt ([NGE-H200]).
  model("H200", ["NVIDIA H200", "H200-141GB", "H200-SXM-141GB"], 143771, 132, 16896, "9.0", true, H200_MIG),
  // Nominal 141 GB (no output found); MIG table of the H200 SXM (same part and memory).
  model("H200-NVL", ["NVIDIA H200 NVL"], 144384, 132, 16896, "9.0", true, H200_MIG),

  // --- Blackwell --- (SM and core counts: B200's 148 SMs as published; those given for GB200, B300
  // and GB300 are not confirmed by any output found.)
  // 183359 MiB: printed by every public B200 default table seen (driver 570–595); as with the L4,
  // none could be tied to a named, licensed repository, so the figure is not traced.
  model("B200", ["NVIDIA B200", "B200-180GB"], 183359, 148, 18944, "10.0", true, B200_MIG),
  // Nominal 186 GB (MIG user guide, Supported GPUs).
  model("GB200", ["NVIDIA GB200", "GB200-186GB"], 190464, 152, 19456, "10.0", true, GB200_MIG),
  // Nominal: the 7g.269gb whole-GPU instance of [HP-B300] (288 GB HBM3e, about 269 GB usable).
  model(
    "B300",
    ["NVIDIA B300", "NVIDIA B300 SXM6 AC", "B300-288GB"],
    275456,
    148,
    18944,
    "10.3",
    true,
    B300_MIG,
  ),
  // Nominal 288 GB. The MIG guide's deployment page lists GB300 (DGX Station, R595+) as MIG-capable,
  // but no profile table for it was found, so it has none here.
  model("GB300", ["NVIDIA GB300", "NVIDIA GB300 NVL", "GB300-288GB"], 294912, 152, 19456, "10.3", true),
  // 97887 MiB: q-x/telegraf-rtx-pro-6000-blackwell-maxq-590.44.01.xml (Max-Q; the guide lists the
  // same 96 GB and MIG table for the Workstation and Server Editions). Four MIG slices.
  model(
    "RTX-PRO-6000-Blackwell",
    [
      "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition",
      "NVIDIA RTX PRO 6000 Blackwell Workstation Edition",
      "NVIDIA RTX PRO 6000 Blackwell Server Edition",
    ],
    97887,
    188,
    24064,
    "12.0",
    false,
    RTX_PRO_6000_MIG,
    FOUR,
  ),

  // --- Older parts (before MIG), kept for existing hosts ---
  model(
    "V100-16GB",
    ["V100M16", "Tesla V100-SXM2-16GB", "Tesla V100-PCIE-16GB"],
    16384,
    80,
    5120,
    "7.0",
    true,
  ),
  // Nominal 32 GB; q-x/datakit-8x-tesla-v100s-pcie-32gb-460.73.01.xml prints 32510 MiB for a V100S.
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
  // 15360 MiB: q-x/telegraf-tesla-t4-515.105.01.xml.
  model("T4", ["Tesla T4", "NVIDIA T4"], 15360, 40, 2560, "7.5", true),
  model("GTX-1660-Ti", ["NVIDIA GeForce GTX 1660 Ti", "GeForce GTX 1660 Ti"], 6144, 24, 1536, "7.5", false),
];
