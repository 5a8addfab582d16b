import { describe, expect, it } from "vitest";
import { parseQueues } from "./queues-file.js";

describe("the --queues file", () => {
  it("reads quotas in Kubernetes units", () => {
    const [q] = parseQueues(
      "queues:\n  - name: team-a\n    weight: 2\n    guarantee: { gpu: 0.5 }\n    limit: { gpu: 2, gpuMemory: 80Gi, cpu: 16, memory: 64Gi }\n",
    );
    expect(q).toMatchObject({
      name: "team-a",
      weight: 2,
      guarantee: { gpuMilli: 500, gpuMemoryMiB: 0, cpuMilli: 0, memoryMiB: 0 },
      limit: { gpuMilli: 2000, gpuMemoryMiB: 81920, cpuMilli: 16000, memoryMiB: 65536 },
    });
  });

  it.each([
    ["not YAML", "queues: [", /not YAML/],
    ["an unknown field", "queues:\n  - name: a\n    limits: {}\n", /queues\.0/],
    [
      "a bad quantity",
      "queues:\n  - name: a\n    limit: { gpu: lots }\n",
      /queues\.0 \(a\).*invalid CPU quantity "lots"/,
    ],
    [
      "a limit below the guarantee",
      "queues:\n  - name: a\n    guarantee: { gpu: 2 }\n    limit: { gpu: 1 }\n",
      /below the guarantee/,
    ],
  ])("refuses %s with GP_INVALID_SPEC and where", (_n, text, why) => {
    expect(() => parseQueues(text, "q.yaml")).toThrow(why);
  });
});
