import type { GpuModel, MigProfile } from "../core/catalog.js";

/**
 * Which MIG profile a MIG device is, from what nvidia-smi says about it without naming it (`-q -x`,
 * `-q`, the MIG devices table): its memory, SM count and copy engines.
 *
 * - Memory picks the memory-slice size: the profile whose catalog size is nearest (instance sizes
 *   differ by driver, e.g. an A100-40GB 3g.20gb was 20224 MiB at R450 and 19968 later, and the
 *   catalog holds nominal sizes where no output was found), within 25 %.
 * - Profiles of that size that differ in compute (1g.20gb / 2g.20gb, 3g.40gb / 4g.40gb) are told
 *   apart by the copy engines, which belong to the GPU instance, then by the SM count.
 * - A MIG device with fewer SMs than its GPU instance is one compute instance of it: the profile is
 *   `<n>c.<gpu instance profile>`, as `-L` prints it (H200: `1c.3g.71gb`, `2c.3g.71gb`).
 * Media-extension variants (`+me`) look the same as their plain profile and are never inferred.
 * Null when the facts do not single out one profile.
 */

export interface MigDeviceFacts {
  readonly memoryMiB: number | null;
  /** Multiprocessors of the MIG device (its compute instance). */
  readonly sms: number | null;
  /** Copy engines the device shares (those of its GPU instance). */
  readonly copyEngines?: number | null;
}

const TOLERANCE = 0.25;

const plain = (p: MigProfile) => !/[+-]/.test(p.name);

/** SMs of one compute slice on this model: those of its smallest 1g profile, when known. */
function smsPerSlice(model: GpuModel): number | null {
  const one = model.migProfiles.filter((p) => plain(p) && p.computeSlices === 1 && p.sms != null);
  return one.length === 0 ? null : Math.min(...one.map((p) => p.sms!));
}

function bySize(model: GpuModel, memoryMiB: number): MigProfile[] {
  const distance = (p: MigProfile) => Math.abs(memoryMiB - p.memoryMiB) / p.memoryMiB;
  const near = model.migProfiles.filter((p) => plain(p) && distance(p) <= TOLERANCE);
  if (near.length === 0) return [];
  const best = near.reduce((a, b) => (distance(b) < distance(a) ? b : a));
  return near.filter((p) => p.memorySlices === best.memorySlices);
}

function byCompute(candidates: MigProfile[], facts: MigDeviceFacts, perSlice: number | null): MigProfile[] {
  if (candidates.length <= 1) return candidates;
  const ce = facts.copyEngines;
  if (ce != null) {
    const same = candidates.filter((p) => p.copyEngines === ce);
    if (same.length > 0) return same;
  }
  if (facts.sms === null) return candidates;
  const exact = candidates.filter((p) => p.sms === facts.sms);
  if (exact.length > 0) return exact;
  if (perSlice === null) return candidates;
  const slices = Math.min(...candidates.map((p) => p.computeSlices), Math.floor(facts.sms / perSlice));
  return candidates.filter((p) => p.computeSlices === slices);
}

/** The compute-instance prefix (`1c.`) when the device has fewer SMs than its GPU instance. */
function computeInstancePrefix(gi: MigProfile, sms: number | null, perSlice: number | null): string {
  if (sms === null || gi.sms == null || perSlice === null || sms >= gi.sms) return "";
  const slices = Math.max(1, Math.round(sms / perSlice));
  return slices < gi.computeSlices ? `${slices}c.` : "";
}

export function inferMigProfile(model: GpuModel | undefined, facts: MigDeviceFacts): string | null {
  if (!model || facts.memoryMiB === null || model.migProfiles.length === 0) return null;
  const perSlice = smsPerSlice(model);
  const candidates = byCompute(bySize(model, facts.memoryMiB), facts, perSlice);
  if (candidates.length !== 1) return null;
  const gi = candidates[0]!;
  return `${computeInstancePrefix(gi, facts.sms, perSlice)}${gi.name}`;
}
