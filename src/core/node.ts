/**
 * Nodes as the scheduler sees them. Units: CPU in milli, memory in MiB, GPU compute in milli
 * (1000 = one whole GPU). These are plain readonly descriptions; the scheduler keeps the mutable
 * free amounts in its own snapshot.
 */

/** A MIG instance that already exists on a GPU (placement in memory slices). */
export interface MigInstance {
  readonly profile: string;
  readonly start: number;
  readonly uuid?: string;
}

export interface GpuDevice {
  /** Index as nvidia-smi numbers it (0-based). */
  readonly index: number;
  readonly uuid?: string;
  /** Model name; a catalog name when known, else any label (trace models such as "G2" stay as they are). */
  readonly model: string;
  readonly memoryMiB: number;
  /** Indexes of the GPUs on the same node this one reaches over NVLink. */
  readonly nvlinkPeers?: readonly number[];
  /** Whether MIG mode is enabled; a MIG GPU is only handed out as MIG instances. */
  readonly migEnabled?: boolean;
  readonly migInstances?: readonly MigInstance[];
  /** Simulated GPUs come from the catalog, not from hardware. */
  readonly simulated?: boolean;
  /** PCI address as the kernel names it ("0000:3b:00"): how an XID in its log names the GPU. */
  readonly pciBusId?: string;
  /**
   * Why the GPU takes no new work (an XID, a failing driver); absent while healthy. The scheduler
   * gives it nothing; what runs there keeps running.
   */
  readonly unhealthy?: string;
}

/** A Kubernetes node taint; standalone nodes have none. */
export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface NodeSpec {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly labels?: Readonly<Record<string, string>>;
  /** Taints (Kubernetes nodes); a workload's nodeConstraint decides which it tolerates. */
  readonly taints?: readonly NodeTaint[];
  /** NVIDIA driver version, e.g. "535.104.05"; absent when unknown or GPU-less. */
  readonly driverVersion?: string;
  readonly gpus: readonly GpuDevice[];
  /**
   * How many more workloads the node takes, whatever their size (Kubernetes: its allocatable pods
   * less the pods other schedulers put there); absent = no such limit.
   */
  readonly pods?: number;
}
