import { type GpuModel, type MigProfile, requireMigProfile } from "./catalog.js";
import { GpupoolError } from "./errors.js";

/**
 * MIG layout planning on one GPU, from the catalog's geometry. Pure.
 *
 * A GPU instance of profile P placed at `start` occupies memory slices [start, start + P.memorySlices).
 * A set of instances is valid when: every start is one of P.starts and the instance ends within the
 * GPU's memory slices; no two instances overlap; no profile is used more than P.maxCount times; and
 * the compute slices add up to at most the model's migComputeSlices (7, or 4 on A30 / RTX PRO 6000).
 */

export interface MigPlacement {
  readonly profile: string;
  /** First memory slice of the instance. */
  readonly start: number;
}

export type MigLayoutCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reasons: readonly string[] };

/** Compute slices of the 7-slice MIG GPUs (A100, H100, H200, B200…); A30 and RTX PRO 6000 have 4. */
export const MIG_COMPUTE_SLICES = 7;

function span(p: MigProfile, start: number): [number, number] {
  return [start, start + p.memorySlices];
}

/** Checks a complete layout; unknown profiles throw GP_UNKNOWN_MIG_PROFILE. */
export function checkMigLayout(model: GpuModel, layout: readonly MigPlacement[]): MigLayoutCheck {
  const reasons: string[] = [];
  if (model.migProfiles.length === 0) return { ok: false, reasons: [`${model.name} does not support MIG`] };
  const resolved = layout.map((pl) => ({ pl, p: requireMigProfile(model, pl.profile) }));
  const counts = new Map<string, number>();
  let compute = 0;
  for (const { pl, p } of resolved) {
    counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    compute += p.computeSlices;
    if (!p.starts.includes(pl.start)) {
      reasons.push(`${p.name} cannot start at memory slice ${pl.start} (allowed: ${p.starts.join(", ")})`);
    } else if (pl.start + p.memorySlices > model.migMemorySlices) {
      reasons.push(`${p.name} at ${pl.start} runs past the GPU's ${model.migMemorySlices} memory slices`);
    }
  }
  for (const [name, n] of counts) {
    const max = requireMigProfile(model, name).maxCount;
    if (n > max) reasons.push(`${n} × ${name} exceeds its maximum of ${max} per GPU`);
  }
  if (compute > model.migComputeSlices)
    reasons.push(`compute slices add up to ${compute}, more than ${model.migComputeSlices}`);
  for (let i = 0; i < resolved.length; i++) {
    for (let j = i + 1; j < resolved.length; j++) {
      const a = resolved[i]!;
      const b = resolved[j]!;
      const [a0, a1] = span(a.p, a.pl.start);
      const [b0, b1] = span(b.p, b.pl.start);
      if (a0 < b1 && b0 < a1) {
        reasons.push(
          `${a.p.name}@${a.pl.start} overlaps ${b.p.name}@${b.pl.start} (memory slices ${Math.max(a0, b0)}–${Math.min(a1, b1) - 1})`,
        );
      }
    }
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

export type MigPlan =
  | { readonly ok: true; readonly added: readonly MigPlacement[]; readonly layout: readonly MigPlacement[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Finds starts for `requested` profiles next to the `existing` instances. Among all valid layouts it
 * picks the one that leaves room for the largest further instance, then the one that leaves the most
 * placements open (least fragmentation), then the lowest starts. Quick rejections (unknown profile, count, compute) are reported before searching.
 */
export function planMig(
  model: GpuModel,
  requested: readonly string[],
  existing: readonly MigPlacement[] = [],
): MigPlan {
  const base = checkMigLayout(model, existing);
  if (!base.ok) return { ok: false, reason: `the existing layout is invalid: ${base.reasons.join("; ")}` };
  const profiles = requested.map((name) => requireMigProfile(model, name));
  const all = [...existing.map((e) => requireMigProfile(model, e.profile)), ...profiles];
  const compute = all.reduce((s, p) => s + p.computeSlices, 0);
  for (const p of new Set(all)) {
    const n = all.filter((q) => q === p).length;
    if (n > p.maxCount)
      return { ok: false, reason: `${n} × ${p.name} exceeds its maximum of ${p.maxCount} per GPU` };
  }
  if (compute > model.migComputeSlices) {
    return { ok: false, reason: `compute slices add up to ${compute}, more than ${model.migComputeSlices}` };
  }

  // Largest first; identical profiles take increasing starts so each set is tried once.
  const order = [...profiles].sort((a, b) => b.memorySlices - a.memorySlices || a.name.localeCompare(b.name));
  const used = new Array<boolean>(model.migMemorySlices).fill(false);
  for (const e of existing) {
    const p = requireMigProfile(model, e.profile);
    for (let s = e.start; s < e.start + p.memorySlices; s++) used[s] = true;
  }
  let best: { placed: MigPlacement[]; score: number } | undefined;
  const placed: MigPlacement[] = [];
  let usedCompute = existing.reduce((s, e) => s + requireMigProfile(model, e.profile).computeSlices, 0);

  const fits = (p: MigProfile, start: number) => {
    if (start + p.memorySlices > model.migMemorySlices) return false;
    for (let s = start; s < start + p.memorySlices; s++) if (used[s]) return false;
    return true;
  };
  const headroom = () => {
    // First the compute slices of the largest profile that could still be added, then how many
    // (profile, start) placements stay open: higher is less fragmented.
    let largest = 0;
    let open = 0;
    for (const p of model.migProfiles) {
      if (usedCompute + p.computeSlices > model.migComputeSlices) continue;
      for (const s of p.starts) {
        if (!fits(p, s)) continue;
        largest = Math.max(largest, p.computeSlices);
        open++;
      }
    }
    return largest * 1000 + open;
  };
  const search = (i: number, minStart: number) => {
    if (i === order.length) {
      const score = headroom();
      if (!best || score > best.score) best = { placed: [...placed], score };
      return;
    }
    const p = order[i]!;
    for (const start of p.starts) {
      if (start < minStart || !fits(p, start)) continue;
      for (let s = start; s < start + p.memorySlices; s++) used[s] = true;
      usedCompute += p.computeSlices;
      placed.push({ profile: p.name, start });
      const next = order[i + 1];
      search(i + 1, next === p ? start + 1 : 0);
      placed.pop();
      usedCompute -= p.computeSlices;
      for (let s = start; s < start + p.memorySlices; s++) used[s] = false;
    }
  };
  search(0, 0);
  if (!best) {
    return {
      ok: false,
      reason: `no placement of ${requested.join(", ")} fits ${model.name}'s slice geometry${existing.length ? ` next to ${existing.map((e) => `${e.profile}@${e.start}`).join(", ")}` : ""}`,
    };
  }
  const added = [...best.placed].sort((a, b) => a.start - b.start);
  return { ok: true, added, layout: [...existing, ...added].sort((a, b) => a.start - b.start) };
}

/** planMig, throwing GP_MIG_LAYOUT_INVALID when nothing fits. */
export function requireMigPlan(
  model: GpuModel,
  requested: readonly string[],
  existing: readonly MigPlacement[] = [],
) {
  const plan = planMig(model, requested, existing);
  if (!plan.ok) {
    throw new GpupoolError("GP_MIG_LAYOUT_INVALID", plan.reason, {
      model: model.name,
      requested: [...requested],
    });
  }
  return plan;
}
