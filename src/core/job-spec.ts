import type { ArraySpec } from "./array.js";
import type { ServiceSpec } from "./service.js";
import type { GpuRequest } from "./workload.js";

/**
 * The job spec as gpupool keeps it once the API has validated it (api/job-spec.ts normalizeSpec):
 * every default filled (0 for a CPU or memory not asked for), quantities in fixed units (CPU milli, memory MiB, GPU share milli). The
 * store keeps it typed; the scheduler sees it through its Workload (agent/workload.ts).
 */
export interface NormalizedSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /**
   * CPU in milli-CPUs: both what the scheduler reserves and the container's CFS quota. 0: none asked
   * (the default, as in Kubernetes: no reservation, no limit).
   */
  readonly cpuMilli: number;
  /** Host memory in MiB: what the scheduler reserves and the container's hard limit. 0: none asked (the default). */
  readonly memoryMiB: number;
  readonly gpu: GpuRequest;
  readonly gpuModels: readonly string[];
  readonly isolation: "container" | "sandbox" | "vm";
  readonly priority: number;
  readonly restartPolicy: "Never" | "OnFailure";
  readonly backoffLimit: number;
  readonly backoffSeconds: number;
  readonly timeoutSeconds?: number;
  readonly stopGraceSeconds: number;
  readonly replicas: number;
  /** The gang's rendezvous port; absent: one derived from the gang id (agent/gang-env.ts). */
  readonly masterPort?: number;
  readonly preemptible: boolean;
  /** Gang members only: this member's rank (0-based). */
  readonly rank?: number;
  /** A batch array: the spec is run once per index (core/array.ts); absent for a single job or gang. */
  readonly array?: ArraySpec;
  /** An array's task: the indexes this job runs (more than one when the array packs them). */
  readonly arrayIndexes?: readonly number[];
  /** A service: replicas behind a local endpoint (core/service.ts); absent for anything else. */
  readonly service?: ServiceSpec;
  /** A service's replica: the port it serves on ($PORT, on the host's network). */
  readonly servicePort?: number;
  /** A service's replica: the spec generation it was made from. */
  readonly serviceGeneration?: number;
}
