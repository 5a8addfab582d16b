import { normalizePciBusId } from "../core/gpu-health.js";
import type { GpuDevice, NodeSpec } from "../core/node.js";
import type { GpuInventory } from "./gpu-info.js";

/**
 * The scheduler's view of a host (core/node.ts) from what discovery found. MIG instances are not
 * carried over: `-q -x` and `-L` do not say where an instance is placed (its start slice), which the
 * scheduler's MigInstance needs; the agent records placements it applies itself (mig-apply.ts).
 */
export function inventoryToNodeSpec(
  inv: GpuInventory,
  host: {
    readonly name: string;
    readonly cpuMilli: number;
    readonly memoryMiB: number;
    readonly labels?: Record<string, string>;
  },
): NodeSpec {
  const gpus: GpuDevice[] = inv.gpus.map((g) => ({
    index: g.index,
    uuid: g.uuid,
    model: g.model,
    memoryMiB: g.memoryMiB,
    nvlinkPeers: (inv.nvlinkGroups.find((grp) => grp.includes(g.index)) ?? []).filter((i) => i !== g.index),
    migEnabled: g.migMode === "enabled",
    simulated: g.simulated,
    // How the kernel's XID messages name it; a simulated GPU i is at 0000:(i+1):00 (gpu-health tests).
    pciBusId: g.pciBusId
      ? normalizePciBusId(g.pciBusId)
      : `0000:${(g.index + 1).toString(16).padStart(2, "0")}:00`,
  }));
  const driverVersion = inv.gpus.find((g) => g.driverVersion !== null)?.driverVersion ?? undefined;
  return {
    name: host.name,
    cpuMilli: host.cpuMilli,
    memoryMiB: host.memoryMiB,
    ...(host.labels ? { labels: host.labels } : {}),
    ...(driverVersion ? { driverVersion } : {}),
    gpus,
  };
}
