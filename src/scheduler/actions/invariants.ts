import { findGpuModel, migComputeSlicesOf } from "../../core/catalog.js";
import type { Snapshot } from "../snapshot/snapshot.js";

/**
 * Checks that a snapshot's free amounts are exactly its capacity minus what its placed allocations
 * hold, and that nothing is overcommitted: CPU, memory, GPU share (milli) and GPU memory per GPU, and
 * MIG geometry (instances on disjoint memory slices, at most the model's compute slices). Returns one line per
 * violation (empty when sound). Units: CPU milli, memory MiB, GPU milli.
 */
export function snapshotViolations(snapshot: Snapshot): string[] {
  const out: string[] = [];
  for (const node of snapshot.nodes) {
    const spec = node.spec;
    let cpu = 0;
    let mem = 0;
    const milli = spec.gpus.map(() => 0);
    const gmem = spec.gpus.map(() => 0);
    const slices = spec.gpus.map(() => 0);
    const compute = spec.gpus.map(() => 0);
    for (const { allocation: a } of node.placed.values()) {
      if (a.node !== node.name)
        out.push(`${a.workloadId} is listed on ${node.name} but allocated on ${a.node}`);
      cpu += a.cpuMilli;
      mem += a.memoryMiB;
      for (const g of a.gpus) {
        const gpu = spec.gpus[g.index];
        if (!gpu) {
          out.push(`${a.workloadId} holds GPU ${g.index} that ${node.name} does not have`);
          continue;
        }
        gmem[g.index]! += g.memoryMiB;
        if (g.mig) {
          if (!gpu.migEnabled)
            out.push(`${a.workloadId} holds a MIG instance on non-MIG GPU ${node.name}/${g.index}`);
          const p = findGpuModel(gpu.model)?.migProfiles.find((x) => x.name === g.mig!.profile);
          if (!p) {
            out.push(`${a.workloadId}: unknown MIG profile ${g.mig.profile} on ${gpu.model}`);
            continue;
          }
          const mask = ((1 << p.memorySlices) - 1) << g.mig.start;
          if (slices[g.index]! & mask)
            out.push(`MIG instances overlap on ${node.name}/${g.index} (${a.workloadId})`);
          if (g.mig.start + p.memorySlices > 8)
            out.push(`MIG instance past the last slice on ${node.name}/${g.index}`);
          slices[g.index]! |= mask;
          compute[g.index]! += p.computeSlices;
        } else {
          if (gpu.migEnabled) out.push(`${a.workloadId} holds a share of MIG GPU ${node.name}/${g.index}`);
          milli[g.index]! += g.milli;
        }
      }
    }
    const check = (what: string, free: number, capacity: number, used: number) => {
      if (used > capacity) out.push(`${node.name}: ${what} overcommitted (${used} > ${capacity})`);
      if (free !== capacity - used)
        out.push(`${node.name}: ${what} free ${free} but capacity ${capacity} - used ${used}`);
    };
    check("cpu", node.cpuFree, spec.cpuMilli, cpu);
    check("memory", node.memFree, spec.memoryMiB, mem);
    spec.gpus.forEach((gpu, i) => {
      // An unhealthy GPU offers nothing and counts nothing (node-info.ts).
      if (gpu.unhealthy) return;
      check(`gpu ${i} memory`, node.gpuMemFree[i]!, gpu.memoryMiB, gmem[i]!);
      if (gpu.migEnabled) {
        const of = migComputeSlicesOf(gpu.model);
        if (compute[i]! > of) out.push(`${node.name}/${i}: ${compute[i]} MIG compute slices > ${of}`);
        if (node.migUsedMask[i] !== slices[i])
          out.push(`${node.name}/${i}: MIG mask ${node.migUsedMask[i]} but instances cover ${slices[i]}`);
      } else {
        check(`gpu ${i} share`, node.gpuFree[i]!, 1000, milli[i]!);
      }
    });
  }
  return out;
}
