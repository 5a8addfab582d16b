import type { V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import type { Allocation } from "../core/allocation.js";
import { ASSIGNMENT_ANNOTATION, SCHEDULER_NAME } from "./names.js";

/**
 * The slice a pod holds, as the scheduler writes it into the pod's Binding annotations (one API
 * server update sets nodeName and the assignment together, so a bound pod always has its slice).
 * The agent reads the same annotation to hand the slice to the container.
 */
const AssignmentSchema = z.object({
  node: z.string().min(1),
  cpuMilli: z.number().int().nonnegative(),
  memoryMiB: z.number().int().nonnegative(),
  gpus: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      uuid: z.string().optional(),
      milli: z.number().int().nonnegative().max(1000),
      memoryMiB: z.number().int().nonnegative(),
      mig: z.object({ profile: z.string(), start: z.number().int().nonnegative() }).optional(),
    }),
  ),
});
export type Assignment = z.infer<typeof AssignmentSchema>;

/** The annotation value for an allocation; GPU UUIDs from the node's inventory when known. */
export function assignmentAnnotation(a: Allocation, uuids: ReadonlyMap<number, string> = new Map()): string {
  const value: Assignment = {
    node: a.node,
    cpuMilli: a.cpuMilli,
    memoryMiB: a.memoryMiB,
    gpus: a.gpus.map((g) => {
      const uuid = uuids.get(g.index);
      return {
        index: g.index,
        ...(uuid ? { uuid } : {}),
        milli: g.milli,
        memoryMiB: g.memoryMiB,
        ...(g.mig ? { mig: { profile: g.mig.profile, start: g.mig.start } } : {}),
      };
    }),
  };
  return JSON.stringify(value);
}

/** The field manager gpupool's scheduler writes bindings as (`?fieldManager=`). */
export const SCHEDULER_FIELD_MANAGER = "gpupool-scheduler";

/**
 * Who wrote the pod's assignment annotation, from its managedFields: gpupool's field manager, someone
 * else (the pod's creator wrote its own slice, or a client annotated it later), or unknown. A
 * Binding's annotations leave no managed-fields entry on Kubernetes 1.20, so gpupool's own binding
 * reads "unknown"; only "other" is refused.
 */
export function assignmentWriter(pod: V1Pod): "gpupool" | "other" | "unknown" {
  const writers = writersOf(pod);
  if (writers.length === 0) return "unknown";
  return writers.every((m) => m === SCHEDULER_FIELD_MANAGER) ? "gpupool" : "other";
}

/** A bound pod's slice, or why it holds none (said in the agent's refusal and its Event). */
export type ReadAssignment =
  | { readonly allocation: Allocation }
  | { readonly refused: string; readonly allocation?: undefined };

/**
 * The allocation a bound pod's annotation records, or why there is none: no annotation (gpupool's
 * scheduler did not bind it), unreadable, for another node, or written by anyone but gpupool's
 * scheduler (a forged slice is not a slice).
 */
export function readAssignment(pod: V1Pod): ReadAssignment {
  const text = pod.metadata?.annotations?.[ASSIGNMENT_ANNOTATION];
  const uid = pod.metadata?.uid ?? "";
  const scheduler = pod.spec?.schedulerName ?? "default-scheduler";
  if (text === undefined)
    return {
      refused:
        scheduler === SCHEDULER_NAME
          ? `it was not bound by gpupool's scheduler (its spec.nodeName was set directly), so it holds no ${ASSIGNMENT_ANNOTATION}`
          : `it was bound by ${scheduler}, not gpupool's scheduler (ask for gpupool.dev/gpu with schedulerName: ${SCHEDULER_NAME})`,
    };
  if (assignmentWriter(pod) === "other")
    return {
      refused: `its ${ASSIGNMENT_ANNOTATION} annotation was written by ${writersOf(pod)
        .map((m) => `"${m}"`)
        .join(", ")}, not by gpupool's scheduler`,
    };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { refused: `its ${ASSIGNMENT_ANNOTATION} annotation is not JSON` };
  }
  const parsed = AssignmentSchema.safeParse(raw);
  if (!parsed.success) return { refused: `its ${ASSIGNMENT_ANNOTATION} annotation is not a gpupool slice` };
  const a = parsed.data;
  if (pod.spec?.nodeName && pod.spec.nodeName !== a.node)
    return { refused: `its ${ASSIGNMENT_ANNOTATION} is for node ${a.node}, not ${pod.spec.nodeName}` };
  return {
    allocation: {
      workloadId: uid,
      node: a.node,
      cpuMilli: a.cpuMilli,
      memoryMiB: a.memoryMiB,
      gpus: a.gpus.map((g) => ({
        index: g.index,
        milli: g.milli,
        memoryMiB: g.memoryMiB,
        ...(g.mig ? { mig: g.mig } : {}),
      })),
    },
  };
}

/** The allocation a bound pod's annotation records, or undefined (readAssignment says why). */
export function assignmentOf(pod: V1Pod): Allocation | undefined {
  if (!pod.metadata?.uid) return undefined;
  return readAssignment(pod).allocation;
}

/** The field managers that wrote the assignment annotation. */
function writersOf(pod: V1Pod): string[] {
  const key = `f:${ASSIGNMENT_ANNOTATION}`;
  return (pod.metadata?.managedFields ?? [])
    .filter((f) => {
      const v1 = f.fieldsV1 as { "f:metadata"?: { "f:annotations"?: Record<string, unknown> } } | undefined;
      return v1?.["f:metadata"]?.["f:annotations"]?.[key] !== undefined;
    })
    .map((f) => f.manager ?? "an unnamed client");
}
