import { z } from "zod";

/**
 * A tenant's quotas: limits (what its placed jobs may hold at once: gpuMilli, gpuMemoryMiB, cpuMilli,
 * memoryMiB), a guarantee and weight for its queue, budgets (activeJobs, gpuSeconds).
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
});
quotaSchema.register(z.globalRegistry, { id: "Quotas" });
