import type { MigInstanceLayout } from "./smi-mig.js";

/**
 * What the node layer knows about one host's GPUs: the shape behind `gpupool gpus --json` and what
 * the agent reports upward. Memory in MiB (2^20 bytes) as NVML reports it; power in watts;
 * temperature in degrees Celsius; utilisation in percent (0..100). A value the driver does not
 * report (`N/A`, missing, deprecated) is `null`, never 0.
 */

/** MIG mode: `unsupported` when the GPU or driver has no MIG (`N/A` or no `mig_mode` element). */
export type MigMode = "enabled" | "disabled" | "unsupported";

export interface MigDeviceInfo {
  /** MIG device index on its parent GPU, as `nvidia-smi -L` and `-q -x` number it. */
  readonly index: number;
  /** `MIG-<uuid>` (or the R450 form `MIG-GPU-<uuid>/<gi>/<ci>`); null when only `-q -x` was read. */
  readonly uuid: string | null;
  /** GPU-instance profile such as `1g.10gb`; compute-instance profiles keep their `Nc.` prefix. */
  readonly profile: string | null;
  /**
   * Where `profile` came from: `-L` states it; `mig` = the `nvidia-smi mig -lgi/-lci` listing of its
   * GPU/compute instance; from `-q -x` alone it is inferred from memory, copy engines and SMs.
   */
  readonly profileSource: "list" | "mig" | "inferred" | null;
  readonly gpuInstanceId: number | null;
  readonly computeInstanceId: number | null;
  readonly memoryMiB: number | null;
  readonly multiprocessors: number | null;
}

export interface GpuProcessInfo {
  readonly pid: number;
  /** GPU memory the process holds, MiB; null under WDDM or when the driver says N/A. */
  readonly usedMemoryMiB: number | null;
  readonly name: string | null;
  /** `C` compute, `G` graphics, `C+G` both. */
  readonly type: string | null;
  readonly gpuInstanceId: number | null;
  readonly computeInstanceId: number | null;
  /** The container this process belongs to, when mapped through /proc/PID/cgroup. */
  readonly containerId?: string | null;
}

export interface GpuInfo {
  /** nvidia-smi's index (0-based, PCI bus order). */
  readonly index: number;
  readonly uuid: string;
  /** The product name as the driver prints it, e.g. "NVIDIA A100-SXM4-80GB". */
  readonly name: string;
  /** gpupool catalog model name when the product is known (e.g. "A100-80GB"), else the product name. */
  readonly model: string;
  readonly memoryMiB: number;
  readonly usedMemoryMiB: number | null;
  readonly driverVersion: string | null;
  readonly cudaVersion: string | null;
  /** `Default`, `Exclusive_Process`, `Prohibited` as nvidia-smi prints it; null when not reported. */
  readonly computeMode: string | null;
  readonly migMode: MigMode;
  /** Pending MIG mode (takes effect after a GPU reset); null when not reported. */
  readonly migPendingMode: MigMode | null;
  readonly migDevices: readonly MigDeviceInfo[];
  readonly processes: readonly GpuProcessInfo[];
  readonly utilizationPercent: number | null;
  readonly temperatureC: number | null;
  readonly powerDrawW: number | null;
  /** PCI bus id as `-q -x` writes it in `<gpu id>`, e.g. "00000000:01:00.0". */
  readonly pciBusId: string | null;
  /** N of /dev/nvidiaN; null when unknown. */
  readonly minorNumber: number | null;
  /** CPUs close to the GPU (`topo -m` "CPU Affinity", e.g. "48-63,176-191"); null when not known. */
  readonly cpuAffinity: string | null;
  /** NUMA node close to the GPU (`topo -m` "NUMA Affinity"); null when not known. */
  readonly numaNode: number | null;
  /** True for GPUs made up from the catalog (`--simulate`); they have no hardware behind them. */
  readonly simulated: boolean;
  /**
   * The GPU and compute instances `nvidia-smi mig -lgi` / `-lci` list on this GPU, with their
   * placements; absent when those listings were not read.
   */
  readonly migLayout?: readonly MigInstanceLayout[];
}

/** One host's GPUs plus the NVLink groups among them. */
export interface GpuInventory {
  readonly gpus: readonly GpuInfo[];
  /** Sets of GPU indexes joined by NVLink (each set sorted, groups sorted by first index). */
  readonly nvlinkGroups: readonly (readonly number[])[];
  /** True when every GPU is simulated. */
  readonly simulated: boolean;
  /** Where the data came from, for display: "nvidia-smi", "file:<path>", "simulate:<spec>". */
  readonly source: string;
  /**
   * What a best-effort part of discovery could not read (a legacy `SOC` link in `topo -m`, an
   * infoROM warning among `-L` lines, a `topo -m` that failed): that part lost detail, the rest stands.
   */
  readonly warnings?: readonly string[];
}
