import type { GpuDevice } from "../core/node.js";

/**
 * What the device plugin advertises for `gpupool.dev/gpu`: `slots` device IDs per physical GPU
 * (`<uuid>-s<k>`), so a share or MIG layout never changes the count the kubelet sees; which GPU a
 * container really gets comes from its pod's assignment, not from the slot IDs. A slot is Unhealthy
 * while its GPU is.
 */
export const DEFAULT_SLOTS_PER_GPU = 16;

export interface SlotDevice {
  readonly ID: string;
  readonly health: "Healthy" | "Unhealthy";
}

export function slotDevices(gpus: readonly GpuDevice[], slots = DEFAULT_SLOTS_PER_GPU): SlotDevice[] {
  const out: SlotDevice[] = [];
  for (const g of gpus) {
    const uuid = g.uuid ?? `GPU-${g.index}`;
    for (let k = 0; k < slots; k++)
      out.push({ ID: `${uuid}-s${k}`, health: g.unhealthy ? "Unhealthy" : "Healthy" });
  }
  return out;
}

/** The GPU UUID a slot ID belongs to. */
export function slotGpu(id: string): string {
  return id.replace(/-s\d+$/, "");
}

/**
 * GetPreferredAllocation: the slots to take, preferring those of the GPUs the pod's assignment names
 * (so PodResources shows which GPU each container holds), then the rest in order.
 */
export function preferredSlots(
  available: readonly string[],
  mustInclude: readonly string[],
  size: number,
  gpuUuids: readonly string[],
): string[] {
  const chosen = [...mustInclude];
  const rest = available.filter((id) => !chosen.includes(id));
  const wanted = new Set(gpuUuids);
  // One slot per assigned GPU first, then any slot of those GPUs, then any.
  for (const uuid of gpuUuids) {
    if (chosen.length >= size) break;
    const i = rest.findIndex((id) => slotGpu(id) === uuid && !chosen.some((c) => slotGpu(c) === uuid));
    if (i >= 0) chosen.push(...rest.splice(i, 1));
  }
  for (const pool of [
    rest.filter((id) => wanted.has(slotGpu(id))),
    rest.filter((id) => !wanted.has(slotGpu(id))),
  ])
    for (const id of pool) if (chosen.length < size && !chosen.includes(id)) chosen.push(id);
  return chosen.slice(0, Math.max(size, mustInclude.length));
}
