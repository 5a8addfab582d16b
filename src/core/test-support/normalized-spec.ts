import type { NormalizedSpec } from "../job-spec.js";

/** A normalised spec with every default filled (a CPU-only busybox job); `extra` overrides. */
export function testSpec(extra: Partial<NormalizedSpec> = {}): NormalizedSpec {
  return {
    name: "j",
    image: "busybox",
    env: {},
    cpuMilli: 100,
    memoryMiB: 64,
    gpu: { kind: "none" },
    gpuModels: [],
    isolation: "container",
    priority: 0,
    restartPolicy: "Never",
    backoffLimit: 3,
    backoffSeconds: 10,
    stopGraceSeconds: 10,
    replicas: 1,
    preemptible: true,
    ...extra,
  };
}
