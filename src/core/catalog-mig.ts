import type { MigProfile } from "./catalog-types.js";

/**
 * MIG GPU-instance profiles per GPU family, with where each figure comes from.
 *
 * Profile names, compute/memory fractions, instance counts and copy engines: NVIDIA Multi-Instance
 * GPU User Guide, "Supported MIG Profiles"
 * (https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html), and for
 * parts that page does not list (H100 NVL, GH200, GB200, B300) NVIDIA's mig-parted default
 * configuration as shipped with the GPU Operator (the `all-*` profile names per PCI device id).
 * Placements (start memory slice of each profile): `nvidia-smi mig -lgipp` as printed on an H100 NVL
 * and an A30 (outputs named below); the guide's placement diagrams show the same layout for A100,
 * H100, H200 and B200.
 *
 * `memoryMiB` is what `nvidia-smi` prints for an instance of that profile. It is one of:
 * - measured: read off a real nvidia-smi output (`-lgip` prints GiB to 2 decimals, which is exact
 *   because instance sizes are multiples of 64 MiB: round(GiB × 16) × 64; the MIG devices table
 *   and `-q` print MiB);
 * - same slices: a profile with the same memory slices on the same GPU, whose size was measured
 *   (the guide gives such profiles the same fraction of memory, and every `-lgip` seen prints the
 *   same size for them);
 * - nominal: the profile name's GB × 1024, where no public output of that profile was found.
 *   Drivers report a little less (H100 1g.10gb is 9984 MiB, not 10240), which is why MIG profile
 *   inference matches sizes by nearest memory slice count rather than exactly.
 * The test src/node/catalog-evidence.test.ts holds the per-profile table of figure and source and
 * checks it against the fixtures and this file.
 *
 * `sms` is the SM count nvidia-smi prints for a GPU instance of the profile (`-lgip` SM column, the
 * MIG devices table, `-q` "Multiprocessor count"); null where no output was found. `copyEngines`
 * comes from the guide's tables (or the `-lgip` CE row).
 *
 * Sources named below:
 * - [NGE-H100] utkuozdemir/nvidia_gpu_exporter (MIT) internal/captures/
 *   linux-x86_64__nvidia-h100-mig__590.48.01.txt: fixtures/nvidia-smi/captures/ (whole file).
 * - [NGE-H200] the same repository's linux-x86_64__nvidia-h200-mig__590.48.01.txt and
 *   …__580.173.02.txt: slices in fixtures/nvidia-smi-added/table/.
 * - [TG-A100] influxdata/telegraf (MIT) a100-sxm4-v12.xml: fixtures/nvidia-smi/q-x/.
 * - [JB-H100] "Nvidia MIG", Joe Barrow's field notes, https://jbarrow.ai/field_notes/nvidia-mig/
 *   (`nvidia-smi mig -lgip` on an H100 80GB HBM3; cited, not copied).
 * - [AZ-NVL] github.com/AlizeeChen11/mig-and-mps mig/README.md (`-lgip`, `-lgipp` and the MIG
 *   devices table on an Azure NC40ads_H100_v5, "NVIDIA H100 NVL", driver 560.35.03; no license:
 *   cited, not copied).
 * - [KF-GH200] github.com/kf-cuanschutz/NVIDIA_Grace_Hopper_benchmarking_logs_,
 *   Daily_installs_loggings/Lessons_learned_from_the_slurm_MIG_installation*.md (`-lgip` on a
 *   GH200, PCI 00000009:01:00.0; no license: cited, not copied).
 * - [SL-A30] github.com/Summer-Lo/Docker_configuration 000-MIG/README.md (`-lgip` and `-lgipp` of
 *   an A30; no license: cited, not copied).
 * - [GO-NVML] NVIDIA/go-nvml (Apache-2.0) pkg/nvml/mock/dgxa100: the A100-SXM4-40GB profile table
 *   NVIDIA's own DGX A100 mock reports (MemorySizeMB, SM counts).
 * - [HP-B300] aws/sagemaker-hyperpod-cli (Apache-2.0) pull request 403, mig-parted config comment:
 *   "P6-B300 … Profiles: 1g.34gb (x7), 1g.67gb (x4), 2g.67gb (x3), 3g.135gb (x2), 4g.135gb (x1),
 *   7g.269gb (x1)", referring to GPU Operator v25.3.0, device filter 0x318210DE.
 */

type Row = [
  name: string,
  computeSlices: number,
  memorySlices: number,
  memoryMiB: number,
  maxCount: number,
  starts: readonly number[],
  sms: number | null,
  copyEngines: number | null,
];

function table(rows: readonly Row[]): MigProfile[] {
  return rows.map(([name, computeSlices, memorySlices, memoryMiB, maxCount, starts, sms, copyEngines]) => ({
    name,
    computeSlices,
    memorySlices,
    memoryMiB,
    maxCount,
    starts,
    sms,
    copyEngines,
  }));
}

/** GiB × 1024, for nominal sizes ("1g.23gb" → 23552). */
const gb = (n: number) => n * 1024;

// Eight memory slices, seven compute slices (A100, H100, H200, GH200, B200, GB200, B300).
const S1 = [0, 1, 2, 3, 4, 5, 6];
const S2 = [0, 2, 4, 6];
const G2 = [0, 2, 4];
const G3 = [0, 4];
const G0 = [0];
// Four memory slices, four compute slices (A30, RTX PRO 6000 Blackwell).
const Q1 = [0, 1, 2, 3];
const Q2 = [0, 2];

/** A100-SXM4-40GB / A100-PCIE-40GB. Sizes and SMs: [GO-NVML]; 1g.5gb also in the R450 -L fixture. */
export const A100_40GB_MIG = table([
  ["1g.5gb", 1, 1, 4864, 7, S1, 14, 1],
  ["1g.5gb+me", 1, 1, 4864, 1, S1, 14, 1],
  ["1g.10gb", 1, 2, 9856, 4, S2, 14, 1],
  ["2g.10gb", 2, 2, 9856, 3, G2, 28, 2],
  ["3g.20gb", 3, 4, 19968, 2, G3, 42, 3],
  ["4g.20gb", 4, 4, 19968, 1, G0, 56, 4],
  ["7g.40gb", 7, 8, 40192, 1, G0, 98, 7],
]);

/**
 * A100 80GB (SXM4 and PCIe). 1g.20gb measured in [TG-A100] (19968 MiB, 14 SMs, 1 CE); 2g.20gb has
 * the same slices; the rest nominal (no licensed or nameable output found).
 */
export const A100_80GB_MIG = table([
  ["1g.10gb", 1, 1, gb(10), 7, S1, 14, 1],
  ["1g.10gb+me", 1, 1, gb(10), 1, S1, 14, 1],
  ["1g.20gb", 1, 2, 19968, 4, S2, 14, 1],
  ["2g.20gb", 2, 2, 19968, 3, G2, 28, 2],
  ["3g.40gb", 3, 4, gb(40), 2, G3, 42, 3],
  ["4g.40gb", 4, 4, gb(40), 1, G0, 56, 4],
  ["7g.80gb", 7, 8, gb(80), 1, G0, 98, 7],
]);

/**
 * H100 80GB HBM3 (SXM5). 1g.10gb 9984, 2g.20gb 20096, 3g.40gb 40448 MiB with 16/32/60 SMs:
 * [NGE-H100] MIG devices table and `-q`. 1g.20gb (19.62 GiB, 26 SMs), 4g.40gb (39.50, 64 SMs),
 * 7g.80gb (79.25 = 81152 MiB, 132 SMs): [JB-H100]. Copy engines: the guide's H100 table.
 */
export const H100_80GB_MIG = table([
  ["1g.10gb", 1, 1, 9984, 7, S1, 16, 1],
  ["1g.10gb+me", 1, 1, 9984, 1, S1, 16, 1],
  ["1g.20gb", 1, 2, 20096, 4, S2, 26, 1],
  ["2g.20gb", 2, 2, 20096, 3, G2, 32, 2],
  ["3g.40gb", 3, 4, 40448, 2, G3, 60, 3],
  ["4g.40gb", 4, 4, 40448, 1, G0, 64, 4],
  ["7g.80gb", 7, 8, 81152, 1, G0, 132, 8],
]);

/**
 * H100 PCIe 80GB: the guide lists it with the H100 80GB profile names. No output of it was found:
 * sizes nominal, SM counts unknown (the part has 114 SMs, fewer than the SXM5's 132).
 */
export const H100_PCIE_MIG = table([
  ["1g.10gb", 1, 1, gb(10), 7, S1, null, 1],
  ["1g.10gb+me", 1, 1, gb(10), 1, S1, null, 1],
  ["1g.20gb", 1, 2, gb(20), 4, S2, null, 1],
  ["2g.20gb", 2, 2, gb(20), 3, G2, null, 2],
  ["3g.40gb", 3, 4, gb(40), 2, G3, null, 3],
  ["4g.40gb", 4, 4, gb(40), 1, G0, null, 4],
  ["7g.80gb", 7, 8, gb(80), 1, G0, null, 8],
]);

/**
 * H100 NVL (H100 94GB). Every size, SM and CE count: [AZ-NVL] `-lgip` (10.75, 21.62, 46.38, 93.12
 * GiB), placements its `-lgipp`; the MIG devices table there shows 11008, 22144 and 47488 MiB.
 */
export const H100_NVL_MIG = table([
  ["1g.12gb", 1, 1, 11008, 7, S1, 16, 1],
  ["1g.12gb+me", 1, 1, 11008, 1, S1, 16, 1],
  ["1g.24gb", 1, 2, 22144, 4, S2, 26, 1],
  ["2g.24gb", 2, 2, 22144, 3, G2, 32, 2],
  ["3g.47gb", 3, 4, 47488, 2, G3, 60, 3],
  ["4g.47gb", 4, 4, 47488, 1, G0, 64, 4],
  ["7g.94gb", 7, 8, 95360, 1, G0, 132, 8],
]);

/** GH200 96GB (H100 on GH200). Every size, SM and CE count: [KF-GH200] `-lgip` (11.00 … 93.00 GiB). */
export const GH200_96GB_MIG = table([
  ["1g.12gb", 1, 1, 11264, 7, S1, 16, 1],
  ["1g.12gb+me", 1, 1, 11264, 1, S1, 16, 1],
  ["1g.24gb", 1, 2, 23552, 4, S2, 26, 1],
  ["2g.24gb", 2, 2, 23552, 3, G2, 32, 2],
  ["3g.48gb", 3, 4, 47616, 2, G3, 60, 3],
  ["4g.48gb", 4, 4, 47616, 1, G0, 64, 4],
  ["7g.96gb", 7, 8, 95232, 1, G0, 132, 8],
]);

/**
 * H20 96GB: the guide lists it; mig-parted gives it the GH200 96GB profile names (1g.12gb, 2g.24gb,
 * 3g.48gb, …). No output found: sizes nominal, SMs unknown.
 */
export const H20_MIG = table([
  ["1g.12gb", 1, 1, gb(12), 7, S1, null, 1],
  ["1g.12gb+me", 1, 1, gb(12), 1, S1, null, 1],
  ["1g.24gb", 1, 2, gb(24), 4, S2, null, 1],
  ["2g.24gb", 2, 2, gb(24), 3, G2, null, 2],
  ["3g.48gb", 3, 4, gb(48), 2, G3, null, 3],
  ["4g.48gb", 4, 4, gb(48), 1, G0, null, 4],
  ["7g.96gb", 7, 8, gb(96), 1, G0, null, 8],
]);

/** GH200 144G HBM3e: profile names from mig-parted (device 0x2348); no output found, sizes nominal. */
export const GH200_144GB_MIG = table([
  ["1g.18gb", 1, 1, gb(18), 7, S1, null, 1],
  ["1g.18gb+me", 1, 1, gb(18), 1, S1, null, 1],
  ["1g.36gb", 1, 2, gb(36), 4, S2, null, 1],
  ["2g.36gb", 2, 2, gb(36), 3, G2, null, 2],
  ["3g.72gb", 3, 4, gb(72), 2, G3, null, 3],
  ["4g.72gb", 4, 4, gb(72), 1, G0, null, 4],
  ["7g.144gb", 7, 8, gb(144), 1, G0, null, 8],
]);

/**
 * H200 141GB (SXM) and H200 NVL (mig-parted configures both alike). Measured in [NGE-H200]:
 * 1g.18gb 16384 MiB / 16 SMs, 2g.35gb 33280 / 32, 3g.71gb 71424 / 60 (the 580.173.02 capture; the
 * 590.48.01 one holds it as two compute instances of 16 and 32 SMs). 1g.18gb+me, 1g.35gb and
 * 4g.71gb share slices with those; 7g.141gb nominal.
 */
export const H200_MIG = table([
  ["1g.18gb", 1, 1, 16384, 7, S1, 16, 1],
  ["1g.18gb+me", 1, 1, 16384, 1, S1, 16, 1],
  ["1g.35gb", 1, 2, 33280, 4, S2, null, 1],
  ["2g.35gb", 2, 2, 33280, 3, G2, 32, 2],
  ["3g.71gb", 3, 4, 71424, 2, G3, 60, 3],
  ["4g.71gb", 4, 4, 71424, 1, G0, null, 4],
  ["7g.141gb", 7, 8, gb(141), 1, G0, null, 8],
]);

/** B200 180GB: the guide's B200 table (copy engines 2/2/2/3/6/8/16); no output found, sizes nominal. */
export const B200_MIG = table([
  ["1g.23gb", 1, 1, gb(23), 7, S1, null, 2],
  ["1g.23gb+me", 1, 1, gb(23), 1, S1, null, 2],
  ["1g.45gb", 1, 2, gb(45), 4, S2, null, 2],
  ["2g.45gb", 2, 2, gb(45), 3, G2, null, 3],
  ["3g.90gb", 3, 4, gb(90), 2, G3, null, 6],
  ["4g.90gb", 4, 4, gb(90), 1, G0, null, 8],
  ["7g.180gb", 7, 8, gb(180), 1, G0, null, 16],
]);

/**
 * GB200 186GB: profile names from mig-parted (GB200: 1g.23gb, 1g.47gb, 2g.47gb, 3g.93gb, 4g.93gb,
 * 7g.186gb); the guide lists GB200 with 7 instances. No output found: sizes nominal; copy engines
 * taken as B200's (same GB100 die), not confirmed.
 */
export const GB200_MIG = table([
  ["1g.23gb", 1, 1, gb(23), 7, S1, null, 2],
  ["1g.23gb+me", 1, 1, gb(23), 1, S1, null, 2],
  ["1g.47gb", 1, 2, gb(47), 4, S2, null, 2],
  ["2g.47gb", 2, 2, gb(47), 3, G2, null, 3],
  ["3g.93gb", 3, 4, gb(93), 2, G3, null, 6],
  ["4g.93gb", 4, 4, gb(93), 1, G0, null, 8],
  ["7g.186gb", 7, 8, gb(186), 1, G0, null, 16],
]);

/** B300 (Blackwell Ultra): names and counts [HP-B300]; no output found, sizes nominal. */
export const B300_MIG = table([
  ["1g.34gb", 1, 1, gb(34), 7, S1, null, null],
  ["1g.67gb", 1, 2, gb(67), 4, S2, null, null],
  ["2g.67gb", 2, 2, gb(67), 3, G2, null, null],
  ["3g.135gb", 3, 4, gb(135), 2, G3, null, null],
  ["4g.135gb", 4, 4, gb(135), 1, G0, null, null],
  ["7g.269gb", 7, 8, gb(269), 1, G0, null, null],
]);

/**
 * A30 24GB: four compute and four memory slices. Sizes, SMs and CE: [SL-A30] `-lgip` (5.81, 11.69,
 * 23.50 GiB; 14/28/56 SMs), placements its `-lgipp`. The guide adds 2g.12gb+me (R525+).
 */
export const A30_MIG = table([
  ["1g.6gb", 1, 1, 5952, 4, Q1, 14, 1],
  ["1g.6gb+me", 1, 1, 5952, 1, Q1, 14, 1],
  ["2g.12gb", 2, 2, 11968, 2, Q2, 28, 2],
  ["2g.12gb+me", 2, 2, 11968, 1, Q2, 28, 2],
  ["4g.24gb", 4, 4, 24064, 1, G0, 56, 4],
]);

/**
 * RTX PRO 6000 Blackwell (Workstation, Max-Q Workstation and Server Edition, 96GB): the guide's
 * table, four slices, at most 4 instances (+gfx / -me variants are left out; 1g.24gb has 1 copy
 * engine there). Sizes nominal.
 */
export const RTX_PRO_6000_MIG = table([
  ["1g.24gb", 1, 1, gb(24), 4, Q1, null, 1],
  ["2g.48gb", 2, 2, gb(48), 2, Q2, null, null],
  ["4g.96gb", 4, 4, gb(96), 1, G0, null, null],
]);
