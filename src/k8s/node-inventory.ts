import type { V1Node } from "@kubernetes/client-node";
import { z } from "zod";
import type { GpuDevice, NodeSpec, NodeTaint } from "../core/node.js";
import { NODE_ANNOTATION } from "./names.js";
import { cpuMilliOf, memoryMiBOf, quantityValue } from "./quantity.js";

/**
 * The node inventory the agent publishes on its Node (annotation `gpupool.dev/inventory`): the GPUs
 * the node layer discovered, in the NodeSpec's own units. Versioned so a newer agent can add fields.
 */
const GpuSchema = z.object({
  index: z.number().int().nonnegative(),
  uuid: z.string().optional(),
  model: z.string().min(1),
  memoryMiB: z.number().int().positive(),
  nvlinkPeers: z.array(z.number().int().nonnegative()).optional(),
  migEnabled: z.boolean().optional(),
  migInstances: z
    .array(
      z.object({ profile: z.string(), start: z.number().int().nonnegative(), uuid: z.string().optional() }),
    )
    .optional(),
  simulated: z.boolean().optional(),
  pciBusId: z.string().optional(),
  unhealthy: z.string().optional(),
});

export const InventorySchema = z.object({
  version: z.literal(1),
  driverVersion: z.string().optional(),
  gpus: z.array(GpuSchema),
});
export type Inventory = z.infer<typeof InventorySchema>;

/** The annotation value for an inventory. */
export function inventoryAnnotation(gpus: readonly GpuDevice[], driverVersion?: string): string {
  return JSON.stringify({ version: 1, ...(driverVersion ? { driverVersion } : {}), gpus });
}

/** The node's inventory, or an error line when the annotation is there but unreadable. */
export function readInventory(node: V1Node): Inventory | { readonly error: string } | undefined {
  const text = node.metadata?.annotations?.[NODE_ANNOTATION.inventory];
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: `annotation ${NODE_ANNOTATION.inventory} is not JSON` };
  }
  const parsed = InventorySchema.safeParse(raw);
  return parsed.success
    ? parsed.data
    : { error: `annotation ${NODE_ANNOTATION.inventory}: ${parsed.error.issues[0]?.message ?? "invalid"}` };
}

/** What pods gpupool does not schedule already take on a node (kube-scheduler's NodeResourcesFit counts them). */
export interface ForeignUsage {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** How many such pods (they count against the node's allocatable pods); default 0. */
  readonly pods?: number;
}

/**
 * A Node as the scheduler sees it, or undefined when it takes no pods (unschedulable, not Ready).
 * CPU and memory are the node's allocatable less what other schedulers' pods request there; GPUs
 * come from the inventory (none without one).
 */
export function nodeSpecOf(
  node: V1Node,
  foreign: ForeignUsage = { cpuMilli: 0, memoryMiB: 0 },
  /** Why the node's agent is gone (its Lease expired): every GPU then takes no new work. */
  agentGone?: string,
): NodeSpec | undefined {
  const name = node.metadata?.name;
  if (!name || node.spec?.unschedulable) return undefined;
  const ready = node.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True") return undefined;
  const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
  const inv = readInventory(node);
  const taints: NodeTaint[] = (node.spec?.taints ?? []).map((t) => ({
    key: t.key,
    ...(t.value !== undefined ? { value: t.value } : {}),
    effect: t.effect as NodeTaint["effect"],
  }));
  return {
    name,
    cpuMilli: Math.max(0, cpuMilliOf(alloc.cpu) - foreign.cpuMilli),
    memoryMiB: Math.max(0, memoryMiBOf(alloc.memory, "down") - foreign.memoryMiB),
    ...(alloc.pods !== undefined
      ? { pods: Math.max(0, Math.floor(quantityValue(alloc.pods)) - (foreign.pods ?? 0)) }
      : {}),
    labels: node.metadata?.labels ?? {},
    ...(taints.length > 0 ? { taints } : {}),
    ...(inv && !("error" in inv) && inv.driverVersion ? { driverVersion: inv.driverVersion } : {}),
    gpus:
      inv && !("error" in inv)
        ? agentGone
          ? inv.gpus.map((g) => (g.unhealthy ? g : { ...g, unhealthy: agentGone }))
          : inv.gpus
        : [],
  };
}
