import { CUDA_GA_DRIVERS } from "../core/cuda-compat.js";
import { GpupoolError } from "../core/errors.js";
import { requireGpuModel } from "../core/catalog.js";
import type { GpuInfo, GpuInventory } from "./gpu-info.js";

/**
 * Simulated GPUs (`--simulate 2xH100-80GB,1xT4`) made from the catalog for hosts without GPUs. They
 * are marked `simulated: true`, their UUIDs start with `GPU-SIM-`, and their product name says
 * "(simulated)", so no table, JSON or CDI spec can pass them off as hardware.
 */

/** The driver simulated GPUs report: the newest GA driver in the compatibility table. */
export const SIMULATED_DRIVER = CUDA_GA_DRIVERS[CUDA_GA_DRIVERS.length - 1]![1];
export const SIMULATED_CUDA = CUDA_GA_DRIVERS[CUDA_GA_DRIVERS.length - 1]![0];

/** Models whose catalog entry is an SXM/NVLink part: several of one such model form an NVLink group. */
const NVLINK_MODELS = new Set(["A100-40GB", "A100-80GB", "H100-80GB", "H200", "V100-16GB", "V100-32GB"]);

export interface SimulateEntry {
  readonly count: number;
  readonly model: string;
}

/** "2xH100-80GB,1xT4" / "H200" / "2 x a100-80gb" → entries with catalog model names. */
export function parseSimulateSpec(spec: string): SimulateEntry[] {
  const parts = spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length === 0) {
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--simulate needs GPUs like 2xH100-80GB,1xT4 (got "${spec}")`,
    );
  }
  return parts.map((part) => {
    const m = /^(?:(\d+)\s*[x*×]\s*)?(.+)$/i.exec(part)!;
    const count = m[1] === undefined ? 1 : Number(m[1]);
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw new GpupoolError("GP_INVALID_ARGUMENT", `--simulate: "${part}" needs a GPU count from 1 to 64`);
    }
    return { count, model: requireGpuModel(m[2]!).name };
  });
}

export function simulateGpus(
  spec: string,
  opts: { driverVersion?: string; cudaVersion?: string } = {},
): GpuInventory {
  const gpus: GpuInfo[] = [];
  const groups: number[][] = [];
  for (const { count, model } of parseSimulateSpec(spec)) {
    const m = requireGpuModel(model);
    const first = gpus.length;
    for (let i = 0; i < count; i++) {
      const index = gpus.length;
      gpus.push({
        index,
        uuid: `GPU-SIM-${String(index).padStart(4, "0")}-${m.name}`,
        name: `${m.aliases[0] ?? m.name} (simulated)`,
        model: m.name,
        memoryMiB: m.memoryMiB,
        usedMemoryMiB: 0,
        driverVersion: opts.driverVersion ?? SIMULATED_DRIVER,
        cudaVersion: opts.cudaVersion ?? SIMULATED_CUDA,
        computeMode: "Default",
        migMode: m.migProfiles.length > 0 ? "disabled" : "unsupported",
        migPendingMode: null,
        migDevices: [],
        processes: [],
        utilizationPercent: 0,
        temperatureC: null,
        powerDrawW: null,
        pciBusId: null,
        minorNumber: index,
        cpuAffinity: null,
        numaNode: null,
        simulated: true,
      });
    }
    if (count > 1 && NVLINK_MODELS.has(m.name))
      groups.push(Array.from({ length: count }, (_, i) => first + i));
  }
  return { gpus, nvlinkGroups: groups, simulated: true, source: `simulate:${spec}` };
}
