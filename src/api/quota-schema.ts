import { z } from "zod";

/**
 * A tenant's quotas: limits (what its placed jobs may hold at once: gpuMilli, gpuMemoryMiB, cpuMilli,
 * memoryMiB), a guarantee and weight for its queue, budgets (activeJobs, gpuSeconds), and the
 * ceiling on its jobs' priority (maxPriority).
 */
const quotaResources = {
  gpuMilli: z.number().int().min(0).optional(),
  gpuMemoryMiB: z.number().int().min(0).optional(),
  cpuMilli: z.number().int().min(0).optional(),
  memoryMiB: z.number().int().min(0).optional(),
};
export const quotaSchema = z.strictObject({
  ...quotaResources,
  activeJobs: z.number().int().min(0).optional(),
  gpuSeconds: z.number().min(0).optional(),
  guarantee: z.strictObject(quotaResources).optional(),
  weight: z.number().positive().max(1000).optional(),
  maxPriority: z
    .union([z.number().int(), z.string().min(1).max(40)])
    .optional()
    .meta({
      description:
        "the highest priority the tenant's jobs may ask: a class (system-critical, high, normal, low, best-effort) or an integer; stored as the integer. Absent: normal. A job above it is refused (403 GP_PRIORITY_FORBIDDEN); the admin tenant has none",
    }),
});
quotaSchema.register(z.globalRegistry, { id: "Quotas" });
