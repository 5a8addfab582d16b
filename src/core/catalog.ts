import { GPU_MODELS } from "./catalog-models.js";
import type { GpuModel, MigProfile } from "./catalog-types.js";
import { GpupoolError } from "./errors.js";

/**
 * The GPU catalog: the models gpupool knows (catalog-models.ts) and their MIG profiles
 * (catalog-mig.ts), each figure with its source named there. This file holds the lookups.
 */

export type { GpuModel, MigProfile } from "./catalog-types.js";
export { GPU_MODELS } from "./catalog-models.js";

const BY_NAME = new Map<string, GpuModel>();
for (const m of GPU_MODELS) {
  for (const key of [m.name, ...m.aliases]) BY_NAME.set(key.toLowerCase(), m);
}

/** Finds a model by its gpupool name or any alias (nvidia-smi product names included), case-insensitive. */
export function findGpuModel(name: string): GpuModel | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/**
 * A MIG profile's share of its GPU's compute in milli (1g.10gb: 1 of 7 slices = 143; 1g.6gb on an
 * A30: 1 of 4 = 250), from the first catalog model that offers it; 0 for a profile no model has.
 */
export function migProfileMilli(profile: string): number {
  for (const m of GPU_MODELS) {
    const p = m.migProfiles.find((q) => q.name === profile);
    if (p) return Math.round((p.computeSlices * 1000) / m.migComputeSlices);
  }
  return 0;
}

/** A GPU model's MIG compute slices (7, or 4 on A30 / RTX PRO 6000); 7 for a model not in the catalog. */
export function migComputeSlicesOf(model: string): number {
  return findGpuModel(model)?.migComputeSlices ?? 7;
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
