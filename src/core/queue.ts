import { GpupoolError } from "./errors.js";

/**
 * Queues (tenants), their quotas, and priority classes: pure domain types, no I/O.
 * Units: GPU compute in milli (1000 = one whole GPU; a MIG instance counts its compute slices of 7),
 * GPU memory in MiB, CPU in milli, host memory in MiB.
 */

/** An amount of the resources a queue's quota is written in. */
export interface Resources {
  readonly gpuMilli: number;
  readonly gpuMemoryMiB: number;
  readonly cpuMilli: number;
  /** Host (container) memory. */
  readonly memoryMiB: number;
}

export const RESOURCE_KEYS = ["gpuMilli", "gpuMemoryMiB", "cpuMilli", "memoryMiB"] as const;
export type ResourceKey = (typeof RESOURCE_KEYS)[number];

export const NO_RESOURCES: Resources = Object.freeze({
  gpuMilli: 0,
  gpuMemoryMiB: 0,
  cpuMilli: 0,
  memoryMiB: 0,
});

export interface QueueSpec {
  readonly name: string;
  /** Share of idle capacity beyond guarantees, relative to other queues' weights. Default 1; > 0. */
  readonly weight: number;
  /** Always available to this queue: others' work above their own guarantee is reclaimed for it. */
  readonly guarantee: Resources;
  /** Hard cap on what the queue may hold; absent = unlimited. */
  readonly limit?: Resources;
  /** A budget of GPU time: once `used` reaches `budget` GPU-seconds, the queue's GPU work waits. */
  readonly gpuSeconds?: GpuSecondsBudget;
}

export interface GpuSecondsBudget {
  readonly budget: number;
  /** GPU-seconds (share × seconds) the queue has used so far. */
  readonly used: number;
}

/** Why the queue's GPU work waits for its budget, or null while budget is left (or none is set). */
export function budgetSpent(queue: QueueSpec): string | null {
  const b = queue.gpuSeconds;
  if (!b || b.used < b.budget) return null;
  return `over quota: queue ${queue.name} used ${b.used.toFixed(1)} of its ${b.budget} GPU-seconds`;
}

/** What a caller may write: everything but the name is optional; a partial Resources fills with 0. */
export interface QueueInput {
  readonly name: string;
  readonly weight?: number;
  readonly guarantee?: Partial<Resources>;
  readonly limit?: Partial<Resources>;
  readonly gpuSeconds?: GpuSecondsBudget;
}

export const DEFAULT_QUEUE = "default";

function invalid(path: string, message: string): GpupoolError {
  return new GpupoolError("GP_INVALID_SPEC", `${path}: ${message}`, { path });
}

function resources(path: string, input: Partial<Resources> | undefined, missing: number): Resources {
  const out: Record<ResourceKey, number> = {
    gpuMilli: missing,
    gpuMemoryMiB: missing,
    cpuMilli: missing,
    memoryMiB: missing,
  };
  for (const key of RESOURCE_KEYS) {
    const v = input?.[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0)
      throw invalid(`${path}.${key}`, `must be a non-negative integer, got ${v}`);
    out[key] = v;
  }
  return Object.freeze(out);
}

/**
 * Validates a queue and fills defaults (weight 1, guarantee 0). In a limit, a resource left out is
 * unlimited (Infinity). Throws GP_INVALID_SPEC naming the field path.
 */
export function queueSpec(input: QueueInput): QueueSpec {
  const path = `queue ${input.name}`;
  if (typeof input.name !== "string" || input.name.length === 0)
    throw invalid("queue.name", "must be a non-empty string");
  const weight = input.weight ?? 1;
  if (!Number.isFinite(weight) || weight <= 0)
    throw invalid(`${path}.weight`, `must be greater than 0, got ${weight}`);
  const guarantee = resources(`${path}.guarantee`, input.guarantee, 0);
  const b = input.gpuSeconds;
  if (b && (!(b.budget >= 0) || !(b.used >= 0)))
    throw invalid(
      `${path}.gpuSeconds`,
      `budget and used must be non-negative, got ${b.budget} and ${b.used}`,
    );
  const budget = b ? { gpuSeconds: Object.freeze({ budget: b.budget, used: b.used }) } : {};
  if (input.limit === undefined) return Object.freeze({ name: input.name, weight, guarantee, ...budget });
  const limit = resources(`${path}.limit`, input.limit, Number.POSITIVE_INFINITY);
  for (const key of RESOURCE_KEYS) {
    if (limit[key] < guarantee[key])
      throw invalid(`${path}.limit.${key}`, `${limit[key]} is below the guarantee ${guarantee[key]}`);
  }
  return Object.freeze({ name: input.name, weight, guarantee, limit, ...budget });
}

export function addResources(a: Resources, b: Resources): Resources {
  return {
    gpuMilli: a.gpuMilli + b.gpuMilli,
    gpuMemoryMiB: a.gpuMemoryMiB + b.gpuMemoryMiB,
    cpuMilli: a.cpuMilli + b.cpuMilli,
    memoryMiB: a.memoryMiB + b.memoryMiB,
  };
}

export function subResources(a: Resources, b: Resources): Resources {
  return {
    gpuMilli: a.gpuMilli - b.gpuMilli,
    gpuMemoryMiB: a.gpuMemoryMiB - b.gpuMemoryMiB,
    cpuMilli: a.cpuMilli - b.cpuMilli,
    memoryMiB: a.memoryMiB - b.memoryMiB,
  };
}

/** The first resource in which `amount` exceeds `cap`, or null when it fits everywhere. */
export function firstExceeded(amount: Resources, cap: Resources): ResourceKey | null {
  for (const key of RESOURCE_KEYS) if (amount[key] > cap[key]) return key;
  return null;
}

/** "gpu 2000m", "gpu memory 10240Mi", "cpu 500m", "memory 512Mi": one resource amount for messages. */
export function formatResource(key: ResourceKey, value: number): string {
  switch (key) {
    case "gpuMilli":
      return `gpu ${value}m`;
    case "gpuMemoryMiB":
      return `gpu memory ${value}Mi`;
    case "cpuMilli":
      return `cpu ${value}m`;
    case "memoryMiB":
      return `memory ${value}Mi`;
  }
}

/**
 * Named priorities, like Kubernetes PriorityClasses. A workload's priority is an integer; higher runs
 * first and may preempt strictly lower ones.
 */
export const PRIORITY_CLASSES: Readonly<Record<string, number>> = Object.freeze({
  "system-critical": 1_000_000,
  high: 1000,
  normal: 0,
  low: -100,
  "best-effort": -1000,
});

export const DEFAULT_PRIORITY = 0;

const INTEGER = /^[+-]?\d+$/;

/**
 * A priority class name (case-insensitive) or an integer (number or text such as "-5") → the priority.
 * Absent → `normal` (0). Throws GP_UNKNOWN_PRIORITY_CLASS otherwise.
 */
export function parsePriority(input: string | number | undefined): number {
  if (input === undefined) return DEFAULT_PRIORITY;
  if (typeof input === "number") {
    if (Number.isSafeInteger(input)) return input;
  } else {
    const text = input.trim();
    if (INTEGER.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
    const named = PRIORITY_CLASSES[text.toLowerCase()];
    if (named !== undefined && Object.hasOwn(PRIORITY_CLASSES, text.toLowerCase())) return named;
  }
  throw new GpupoolError(
    "GP_UNKNOWN_PRIORITY_CLASS",
    `unknown priority "${input}"; use an integer or one of: ${Object.keys(PRIORITY_CLASSES).join(", ")}`,
    { priority: input },
  );
}
