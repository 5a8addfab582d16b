/** The shapes of the GPU catalog (catalog.ts): models and their MIG GPU-instance profiles. */

/** One MIG GPU-instance profile. Placement is in memory slices (migMemorySlices per GPU). */
export interface MigProfile {
  readonly name: string;
  /** Compute slices ("Ng" = N of the GPU's migComputeSlices: 7, or 4 on A30 / RTX PRO 6000). */
  readonly computeSlices: number;
  /** Memory slices the instance occupies. */
  readonly memorySlices: number;
  /** Instance memory as nvidia-smi prints it, MiB (catalog-mig.ts says which are measured). */
  readonly memoryMiB: number;
  /** The most instances of this profile one GPU can hold. */
  readonly maxCount: number;
  /** Allowed start positions, in memory slices. */
  readonly starts: readonly number[];
  /** SMs of a GPU instance of this profile as nvidia-smi prints them; null/absent when no output showed it. */
  readonly sms?: number | null;
  /** Copy engines of the instance (MIG user guide); null when not published. */
  readonly copyEngines?: number | null;
}

export interface GpuModel {
  readonly name: string;
  /** Other names, nvidia-smi product names first (the first alias names simulated GPUs). */
  readonly aliases: readonly string[];
  /** Framebuffer as nvidia-smi reports it, MiB (catalog-models.ts names the source of each). */
  readonly memoryMiB: number;
  readonly sms: number;
  readonly cudaCores: number;
  readonly computeCapability: string;
  /** Datacenter GPUs can use CUDA forward compatibility (cuda-compat); GeForce/workstation cannot. */
  readonly datacenter: boolean;
  /** MIG profiles when the model supports MIG; empty otherwise. */
  readonly migProfiles: readonly MigProfile[];
  /** Memory slices per GPU for MIG placement (0 without MIG). */
  readonly migMemorySlices: number;
  /** Compute slices per GPU in MIG mode (0 without MIG). */
  readonly migComputeSlices: number;
}
