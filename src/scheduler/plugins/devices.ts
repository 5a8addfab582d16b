import { z } from "zod";
import type { GpuAssignment } from "../../core/allocation.js";
import type { Workload } from "../../core/workload.js";
import type { DevicePlugin } from "../framework/interfaces.js";
import { registration } from "../framework/registry.js";
import type { Rng } from "../framework/rng.js";
import type { NodeInfo } from "../snapshot/node-info.js";
import { migChoice, shareAssignment, shareFits, wholeChoice } from "./gpu-devices.js";

/** Whole and MIG requests are placed the same way by every device policy; only shares differ. */
function nonShare(pod: Workload, node: NodeInfo): GpuAssignment[] | null {
  if (pod.gpu.kind === "whole") return wholeChoice(node, pod);
  if (pod.gpu.kind === "mig") {
    const a = migChoice(node, pod);
    return a ? [a] : null;
  }
  return null;
}

/** Best fit: the GPU with the least free share that still fits (lowest index on a tie). */
export class BestFitDevices implements DevicePlugin {
  readonly name = "BestFitDevices";
  chooseDevices(_s: unknown, pod: Workload, node: NodeInfo): GpuAssignment[] | null {
    if (pod.gpu.kind !== "share") return nonShare(pod, node);
    let best = -1;
    for (let i = 0; i < node.gpuCount; i++) {
      if (!shareFits(node, i, pod, pod.gpu.milli, pod.gpu.memoryMiB)) continue;
      if (best < 0 || node.gpuFree[i]! < node.gpuFree[best]!) best = i;
    }
    return best < 0 ? null : shareAssignment(best, pod);
  }
}

/** Uniform among the GPUs that fit. */
export class RandomDevices implements DevicePlugin {
  readonly name = "RandomDevices";
  constructor(private readonly rng: Rng) {}
  chooseDevices(_s: unknown, pod: Workload, node: NodeInfo): GpuAssignment[] | null {
    if (pod.gpu.kind !== "share") return nonShare(pod, node);
    const fits: number[] = [];
    for (let i = 0; i < node.gpuCount; i++)
      if (shareFits(node, i, pod, pod.gpu.milli, pod.gpu.memoryMiB)) fits.push(i);
    if (fits.length === 0) return null;
    return shareAssignment(fits[this.rng.int(fits.length)]!, pod);
  }
}

export const deviceRegistrations = {
  BestFitDevices: registration(z.object({}).strict(), () => new BestFitDevices()),
  RandomDevices: registration(z.object({}).strict(), (_a, h) => new RandomDevices(h.rng)),
};
