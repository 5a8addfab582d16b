import { GpupoolError } from "../core/errors.js";

/**
 * A slice: exactly what one container is handed of a host's GPUs. The node layer turns a slice into
 * a CDI device, Docker DeviceRequests and environment (slice-env.ts, cdi.ts, docker-device-requests.ts).
 * Memory in MiB; compute shares as MPS thread percentages (1..100).
 */

export interface GpuRef {
  readonly index: number;
  /** `GPU-…` UUID (simulated GPUs: `GPU-SIM-…`). */
  readonly uuid: string;
  /** N of /dev/nvidiaN (defaults to the index when unknown). */
  readonly minor?: number;
  /** A simulated GPU: device nodes become harmless /dev/null stand-ins. */
  readonly simulated?: boolean;
}

/** What to do when a time-sliced container uses more GPU memory than its slice. */
export type OverusePolicy = "warn" | "kill";

export type Slice =
  /** One or more whole GPUs. */
  | { readonly kind: "whole"; readonly id: string; readonly gpus: readonly GpuRef[] }
  /** One MIG device (hardware-isolated). `capDevices`: /dev/nvidia-caps nodes for its GI and CI. */
  | {
      readonly kind: "mig";
      readonly id: string;
      readonly gpu: GpuRef;
      readonly migUuid: string;
      readonly profile: string;
      readonly capDevices?: readonly string[];
    }
  /** An MPS client share: hard compute percentage and pinned memory limit, through the GPU's MPS daemon. */
  | {
      readonly kind: "mps";
      readonly id: string;
      readonly gpu: GpuRef;
      /** CUDA_MPS_ACTIVE_THREAD_PERCENTAGE, 1..100. */
      readonly activeThreadPercentage: number;
      /** CUDA_MPS_PINNED_DEVICE_MEM_LIMIT in MiB; 0 = no limit. */
      readonly memoryLimitMiB: number;
      /** The daemon's pipe directory on the host (mounted at the same path in the container). */
      readonly pipeDirectory: string;
    }
  /** A time-sliced share: no hardware fence; the telemetry loop enforces memoryLimitMiB with `policy`. */
  | {
      readonly kind: "timeslice";
      readonly id: string;
      readonly gpu: GpuRef;
      /** Advisory GPU memory in MiB; 0 = unlimited. */
      readonly memoryLimitMiB: number;
      readonly policy: OverusePolicy;
    };

/** GPUs a slice touches. */
export function sliceGpus(slice: Slice): readonly GpuRef[] {
  return slice.kind === "whole" ? slice.gpus : [slice.gpu];
}

export function isSimulatedSlice(slice: Slice): boolean {
  return sliceGpus(slice).some((g) => g.simulated === true);
}

/** MPS limits for a share of one GPU: milli (1..1000) → percent (rounded up, 1..100); MiB kept. */
export function mpsLimitsForShare(
  milli: number,
  memoryMiB: number,
): { activeThreadPercentage: number; memoryLimitMiB: number } {
  if (!Number.isInteger(milli) || milli < 1 || milli > 1000) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `a GPU share must be 1..1000 milli, got ${milli}`);
  }
  if (!Number.isInteger(memoryMiB) || memoryMiB < 0) {
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `GPU memory must be a whole number of MiB >= 0, got ${memoryMiB}`,
    );
  }
  return {
    activeThreadPercentage: Math.min(100, Math.max(1, Math.ceil(milli / 10))),
    memoryLimitMiB: memoryMiB,
  };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** Slice ids become CDI device names and file names: letters, digits, `_ . : -` only. */
export function checkSliceId(id: string): string {
  if (!NAME.test(id) || id.length > 128) {
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `slice id "${id}" must be 1-128 of A-Z a-z 0-9 _ . : - (starting alphanumeric)`,
    );
  }
  return id;
}
