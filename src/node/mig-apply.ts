import { findGpuModel } from "../core/catalog.js";
import { GpupoolError, isGpupoolError } from "../core/errors.js";
import { type MigPlacement, requireMigPlan } from "../core/mig-plan.js";
import type { GpuInfo } from "./gpu-info.js";
import type { SmiRunner } from "./smi-runner.js";

/**
 * Applies a MIG layout planned by core/mig-plan.ts with `nvidia-smi mig`: GPU instances at explicit
 * placements (`-cgi <profile>:<start>,…`), then their default compute instances (`-cci`); `replace`
 * first destroys compute and GPU instances (`-dci`, `-dgi`). Only on an idle GPU with MIG enabled.
 */

export interface MigApplyRequest {
  readonly gpu: GpuInfo;
  /** GPU-instance profiles to add, e.g. ["3g.40gb", "1g.10gb"]. */
  readonly profiles: readonly string[];
  /** Instances already on the GPU (ignored with `replace`). */
  readonly existing?: readonly MigPlacement[];
  /** Destroy every existing instance first. */
  readonly replace?: boolean;
}

export interface MigApplyResult {
  readonly added: readonly MigPlacement[];
  readonly layout: readonly MigPlacement[];
  /** nvidia-smi argument lists, in the order they ran. */
  readonly commands: readonly (readonly string[])[];
}

function modelOf(gpu: GpuInfo) {
  const model = findGpuModel(gpu.model) ?? findGpuModel(gpu.name);
  if (!model || model.migProfiles.length === 0) {
    throw new GpupoolError("GP_MIG_LAYOUT_INVALID", `GPU ${gpu.index} (${gpu.name}) does not support MIG`, {
      gpu: gpu.uuid,
    });
  }
  return model;
}

/** Refuses GPUs that are not MIG-enabled or that run processes. */
export function checkMigIdle(gpu: GpuInfo): void {
  if (gpu.migMode !== "enabled") {
    throw new GpupoolError(
      "GP_MIG_DISABLED",
      `MIG mode is ${gpu.migMode} on GPU ${gpu.index} (${gpu.uuid})`,
      { gpu: gpu.uuid },
    );
  }
  if (gpu.processes.length > 0) {
    const pids = gpu.processes.map((p) => p.pid).join(", ");
    throw new GpupoolError(
      "GP_MIG_GPU_BUSY",
      `GPU ${gpu.index} runs processes (pids ${pids}); MIG layouts change only on idle GPUs`,
      {
        gpu: gpu.uuid,
        pids: gpu.processes.map((p) => p.pid),
      },
    );
  }
}

async function mig(runner: SmiRunner, commands: string[][], args: string[]): Promise<string> {
  commands.push(args);
  try {
    return await runner.run(args);
  } catch (err) {
    if (isGpupoolError(err) && err.code === "GP_NVIDIA_SMI_FAILED") {
      throw new GpupoolError("GP_MIG_APPLY_FAILED", err.message, { command: args.join(" ") });
    }
    throw err;
  }
}

export async function applyMigLayout(runner: SmiRunner, req: MigApplyRequest): Promise<MigApplyResult> {
  const model = modelOf(req.gpu);
  checkMigIdle(req.gpu);
  const existing = req.replace ? [] : (req.existing ?? []);
  const plan = requireMigPlan(model, req.profiles, existing);
  const i = String(req.gpu.index);
  const commands: string[][] = [];
  if (req.replace && ((req.existing?.length ?? 0) > 0 || req.gpu.migDevices.length > 0)) {
    await mig(runner, commands, ["mig", "-i", i, "-dci"]);
    await mig(runner, commands, ["mig", "-i", i, "-dgi"]);
  }
  if (plan.added.length > 0) {
    await mig(runner, commands, [
      "mig",
      "-i",
      i,
      "-cgi",
      plan.added.map((p) => `${p.profile}:${p.start}`).join(","),
    ]);
    await mig(runner, commands, ["mig", "-i", i, "-cci"]);
  }
  return { added: plan.added, layout: plan.layout, commands };
}

/** Destroys every compute and GPU instance on an idle MIG GPU. */
export async function destroyMigLayout(
  runner: SmiRunner,
  gpu: GpuInfo,
): Promise<readonly (readonly string[])[]> {
  modelOf(gpu);
  checkMigIdle(gpu);
  const commands: string[][] = [];
  await mig(runner, commands, ["mig", "-i", String(gpu.index), "-dci"]);
  await mig(runner, commands, ["mig", "-i", String(gpu.index), "-dgi"]);
  return commands;
}
