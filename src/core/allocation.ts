/** Where one workload was placed, and exactly what it holds there. */
export interface GpuAssignment {
  /** GPU index on the node. */
  readonly index: number;
  /** Compute milli taken on this GPU (1000 for a whole GPU). */
  readonly milli: number;
  /** GPU memory reserved in MiB (whole GPU: all of it; share: the requested amount, 0 if none). */
  readonly memoryMiB: number;
  /** For MIG: profile and start slice of the instance. */
  readonly mig?: { readonly profile: string; readonly start: number };
}

export interface Allocation {
  readonly workloadId: string;
  readonly node: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpus: readonly GpuAssignment[];
}
