import { findGpuModel } from "./catalog.js";
import { GpupoolError } from "./errors.js";
import type { NormalizedSpec } from "./job-spec.js";
import type { GpuDevice, NodeSpec } from "./node.js";

/**
 * Whether a spec could ever be placed on these nodes, were they empty — pure. A job that can never
 * fit (more GPUs than any node has, GPU memory above the largest GPU, a model or MIG profile nobody
 * offers, CPU or memory beyond every node, a gang larger than the cluster) would wait forever; it is
 * refused at submission with GP_NEVER_FITS and the numbers. A job that may fit later (busy GPUs,
 * quotas) is not refused: it waits with the scheduler's reason.
 */
export function neverFits(spec: NormalizedSpec, nodes: readonly NodeSpec[]): string | undefined {
  const allowed = (g: GpuDevice) => spec.gpuModels.length === 0 || spec.gpuModels.includes(g.model);
  const offered = [...new Set(nodes.flatMap((n) => n.gpus.map((g) => g.model)))];
  const gpuAsked = spec.gpu.kind !== "none";
  if (gpuAsked && spec.gpuModels.length > 0 && !nodes.some((n) => n.gpus.some(allowed)))
    return `asks a GPU of model ${spec.gpuModels.join(" or ")}; this host has ${offered.join(", ") || "no GPUs"}`;
  const most = (pick: (n: NodeSpec) => number) => Math.max(0, ...nodes.map(pick));
  if (spec.cpuMilli > most((n) => n.cpuMilli))
    return `asks ${cpus(spec.cpuMilli)} CPUs; the largest node has ${cpus(most((n) => n.cpuMilli))}`;
  if (spec.memoryMiB > most((n) => n.memoryMiB))
    return `asks ${spec.memoryMiB} MiB of memory; the largest node has ${most((n) => n.memoryMiB)} MiB`;
  const gpus = spec.gpu;
  switch (gpus.kind) {
    case "none":
      return undefined;
    case "whole": {
      const whole = (n: NodeSpec) => n.gpus.filter((g) => !g.migEnabled && allowed(g)).length;
      if (gpus.count > most(whole))
        return `asks ${gpus.count} GPUs${models(spec)}; the largest node has ${most(whole)}`;
      break;
    }
    case "share": {
      const shareable = nodes.flatMap((n) => n.gpus.filter((g) => !g.migEnabled && allowed(g)));
      if (shareable.length === 0)
        return `asks a share of a GPU${models(spec)}; no GPU here can be shared (MIG-enabled or none)`;
      const largest = Math.max(...shareable.map((g) => g.memoryMiB));
      if (gpus.memoryMiB > largest)
        return `asks ${gpus.memoryMiB} MiB of GPU memory; the largest GPU${models(spec)} has ${largest} MiB`;
      break;
    }
    case "mig": {
      const mig = nodes.flatMap((n) => n.gpus.filter((g) => g.migEnabled && allowed(g)));
      const offers = mig.some((g) => findGpuModel(g.model)?.migProfiles.some((p) => p.name === gpus.profile));
      if (!offers)
        return `asks MIG instance ${gpus.profile}; no MIG-enabled GPU here offers it (MIG-enabled: ${[...new Set(mig.map((g) => g.model))].join(", ") || "none"})`;
      break;
    }
  }
  // A gang's members each need their GPUs at once, somewhere in the cluster.
  if (spec.replicas > 1 && gpus.kind === "whole") {
    const total = nodes.reduce((s, n) => s + n.gpus.filter((g) => !g.migEnabled && allowed(g)).length, 0);
    if (spec.replicas * gpus.count > total)
      return `gang of ${spec.replicas} asks ${spec.replicas * gpus.count} GPUs at once; this host has ${total}`;
  }
  return undefined;
}

/** Throws GP_NEVER_FITS when the spec could never be placed (see neverFits). */
export function assertCanEverFit(spec: NormalizedSpec, nodes: readonly NodeSpec[]): void {
  const why = neverFits(spec, nodes);
  if (why)
    throw new GpupoolError("GP_NEVER_FITS", `job ${spec.name} can never run here: ${why}`, { path: "spec" });
}

const cpus = (milli: number) => String(milli / 1000);
const models = (spec: NormalizedSpec) =>
  spec.gpuModels.length ? ` of model ${spec.gpuModels.join(" or ")}` : "";
