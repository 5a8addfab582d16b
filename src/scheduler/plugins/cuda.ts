import { z } from "zod";
import { cudaFits } from "../../core/cuda-compat.js";
import type { Workload } from "../../core/workload.js";
import type { FilterPlugin } from "../framework/interfaces.js";
import { registration } from "../framework/registry.js";
import { type MaybeStatus, Status } from "../framework/status.js";
import type { NodeInfo } from "../snapshot/node-info.js";

const UNKNOWN_DRIVER = Status.unresolvable("node driver version unknown (pod needs a CUDA version)");

/**
 * Rejects nodes whose NVIDIA driver cannot run the pod's CUDA toolkit (GPU-FACTS.md rules via
 * core/cuda-compat): compatible, minor-version compatible and forward-compatible (cuda-compat in the
 * image on a datacenter GPU) pass; incompatible is unresolvable on that node.
 */
export class CudaCompatFilter implements FilterPlugin {
  readonly name = "CudaCompat";
  private readonly memo = new Map<string, MaybeStatus>();

  filter(_s: unknown, pod: Workload, node: NodeInfo): MaybeStatus {
    const need = pod.cuda;
    if (!need || pod.gpu.kind === "none") return null;
    const driver = node.spec.driverVersion;
    if (!driver) return UNKNOWN_DRIVER;
    const key = `${need.version}|${need.forwardCompat ? 1 : 0}|${driver}|${node.datacenter ? 1 : 0}`;
    let st = this.memo.get(key);
    if (st === undefined) {
      st = cudaFits(need, driver, node.datacenter)
        ? null
        : Status.unresolvable(`driver ${driver} cannot run CUDA ${need.version}`);
      this.memo.set(key, st);
    }
    return st;
  }
}

export const cudaRegistrations = {
  CudaCompat: registration(z.object({}).strict(), () => new CudaCompatFilter()),
};
