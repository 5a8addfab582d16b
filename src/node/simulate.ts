import { CUDA_GA_DRIVERS } from "../core/cuda-compat.js";
import { GpupoolError } from "../core/errors.js";
import { GPU_MODELS, requireGpuModel } from "../core/catalog.js";
import type { GpuInfo, GpuInventory } from "./gpu-info.js";

/**
 * Simulated GPUs (`--simulate 2xH100-80GB,1xT4`) made from the catalog for hosts without GPUs. They
 * are marked `simulated: true`, their UUIDs start with `GPU-SIM-`, and their product name says
 * "(simulated)", so no table, JSON or CDI spec can pass them off as hardware.
 *
 * A `:mig` suffix (`2xA100-80GB:mig`) starts those GPUs with MIG mode enabled and no instances: the
 * scheduler places each MIG job's instance by the catalog's geometry and the instance exists while
 * the job holds it, named `MIG-SIM-…` (simulatedMigUuid).
 */

/** The driver simulated GPUs report: the newest GA driver in the compatibility table. */
export const SIMULATED_DRIVER = CUDA_GA_DRIVERS[CUDA_GA_DRIVERS.length - 1]![1];
export const SIMULATED_CUDA = CUDA_GA_DRIVERS[CUDA_GA_DRIVERS.length - 1]![0];

/** Models whose catalog entry is an SXM/NVLink part: several of one such model form an NVLink group. */
const NVLINK_MODELS = new Set([
  "A100-40GB",
  "A100-80GB",
  "H100-80GB",
  "H20",
  "H200",
  "B200",
  "B300",
  "GB200",
  "GB300",
  "V100-16GB",
  "V100-32GB",
]);

export interface SimulateEntry {
  readonly count: number;
  readonly model: string;
  /** MIG mode enabled (`:mig`); only for models with MIG profiles in the catalog. */
  readonly mig: boolean;
}

/**
 * "2xH100-80GB,1xT4" / "H200" / "2 x a100-80gb" / "2xA100-80GB:mig" → entries with catalog model
 * names. `:mig` on a model without MIG profiles, or any other suffix, is GP_INVALID_ARGUMENT.
 */
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
    const m = /^(?:(\d+)\s*[x*×]\s*)?([^:]+?)\s*(?::\s*(\S*))?$/i.exec(part)!;
    const count = m[1] === undefined ? 1 : Number(m[1]);
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw new GpupoolError("GP_INVALID_ARGUMENT", `--simulate: "${part}" needs a GPU count from 1 to 64`);
    }
    const model = requireGpuModel(m[2]!);
    const suffix = m[3];
    if (suffix !== undefined && suffix.toLowerCase() !== "mig")
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `--simulate: "${part}": the only suffix is :mig (MIG-enabled GPUs), got ":${suffix}"`,
      );
    const mig = suffix !== undefined;
    if (mig && model.migProfiles.length === 0)
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `--simulate: "${part}": ${model.name} has no MIG; models with MIG: ${GPU_MODELS.filter(
          (g) => g.migProfiles.length > 0,
        )
          .map((g) => g.name)
          .join(", ")}`,
      );
    return { count, model: model.name, mig };
  });
}

export function simulateGpus(
  spec: string,
  opts: { driverVersion?: string; cudaVersion?: string } = {},
): GpuInventory {
  const gpus: GpuInfo[] = [];
  const groups: number[][] = [];
  for (const { count, model, mig } of parseSimulateSpec(spec)) {
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
        migMode: mig ? "enabled" : m.migProfiles.length > 0 ? "disabled" : "unsupported",
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

/**
 * The MIG device UUID of a simulated instance: `MIG-SIM-<gpu>-<profile>-<start>` for the GPU
 * `GPU-SIM-<gpu>` and the instance's first memory slice. One instance slot, one name; it cannot be
 * taken for hardware (real MIG UUIDs are `MIG-` and hex digits).
 */
export function simulatedMigUuid(gpuUuid: string, mig: { readonly profile: string; readonly start: number }) {
  return `MIG-SIM-${gpuUuid.replace(/^GPU-SIM-/, "")}-${mig.profile}-${mig.start}`;
}
