import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { GpupoolError } from "../core/errors.js";
import { parseCpuMilli, parseMemoryMiB } from "../core/quantity.js";
import { type QueueSpec, queueSpec, type Resources } from "../core/queue.js";

/**
 * `gpupool k8s scheduler --queues FILE`: the queues (tenants) and their quotas, in Kubernetes units.
 * A pod's queue is its `gpupool.dev/queue` annotation, else its namespace; a queue not listed has
 * neither guarantee nor limit.
 *
 *   queues:
 *     - name: team-a
 *       weight: 2
 *       guarantee: { gpu: 1 }
 *       limit: { gpu: 2, gpuMemory: 80Gi, cpu: 16, memory: 64Gi }
 */
const Amount = z
  .object({
    gpu: z.union([z.string(), z.number()]).optional(),
    gpuMemory: z.union([z.string(), z.number()]).optional(),
    cpu: z.union([z.string(), z.number()]).optional(),
    memory: z.union([z.string(), z.number()]).optional(),
  })
  .strict();
const File = z
  .object({
    queues: z.array(
      z
        .object({
          name: z.string().min(1),
          weight: z.number().positive().optional(),
          guarantee: Amount.optional(),
          limit: Amount.optional(),
        })
        .strict(),
    ),
  })
  .strict();

function amount(a: z.infer<typeof Amount> | undefined): Partial<Resources> | undefined {
  if (!a) return undefined;
  return {
    ...(a.gpu !== undefined ? { gpuMilli: parseCpuMilli(a.gpu) } : {}),
    ...(a.gpuMemory !== undefined ? { gpuMemoryMiB: parseMemoryMiB(a.gpuMemory) } : {}),
    ...(a.cpu !== undefined ? { cpuMilli: parseCpuMilli(a.cpu) } : {}),
    ...(a.memory !== undefined ? { memoryMiB: parseMemoryMiB(a.memory) } : {}),
  };
}

export function parseQueues(text: string, source = "queues file"): QueueSpec[] {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new GpupoolError("GP_INVALID_SPEC", `${source}: not YAML: ${(err as Error).message}`);
  }
  const parsed = File.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GpupoolError(
      "GP_INVALID_SPEC",
      `${source}: ${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
  }
  return parsed.data.queues.map((q, i) => {
    try {
      const guarantee = amount(q.guarantee);
      const limit = amount(q.limit);
      return queueSpec({
        name: q.name,
        ...(q.weight !== undefined ? { weight: q.weight } : {}),
        ...(guarantee ? { guarantee } : {}),
        ...(limit ? { limit } : {}),
      });
    } catch (err) {
      throw new GpupoolError(
        "GP_INVALID_SPEC",
        `${source}: queues.${i} (${q.name}): ${(err as Error).message}`,
      );
    }
  });
}

export function readQueuesFile(file: string): QueueSpec[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `--queues ${file}: ${(err as Error).message}`);
  }
  return parseQueues(text, file);
}
