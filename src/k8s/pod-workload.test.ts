import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { podRequests, podWorkload } from "./pod-workload.js";

function pod(
  limits: Record<string, string>,
  annotations: Record<string, string> = {},
  extra: Partial<V1Pod["spec"]> = {},
): V1Pod {
  return {
    metadata: { uid: "u1", name: "p", namespace: "team-a", annotations },
    spec: { schedulerName: "gpupool", containers: [{ name: "c", resources: { limits } }], ...extra },
  };
}

describe("a pod as a workload", () => {
  it.each([
    ["whole GPUs", { "gpupool.dev/gpu": "2" }, {}, { kind: "whole", count: 2 }],
    ["nvidia.com/gpu as whole GPUs", { "nvidia.com/gpu": "1" }, {}, { kind: "whole", count: 1 }],
    [
      "a share with memory",
      { "gpupool.dev/gpu": "1", "gpupool.dev/gpu-milli": "250", "gpupool.dev/gpu-memory": "20Gi" },
      {},
      { kind: "share", milli: 250, memoryMiB: 20480 },
    ],
    [
      "memory only: the whole compute of one GPU",
      { "gpupool.dev/gpu-memory": "10Gi" },
      {},
      { kind: "share", milli: 1000, memoryMiB: 10240 },
    ],
    [
      "milli 1000 without memory is a whole GPU",
      { "gpupool.dev/gpu-milli": "1000" },
      {},
      { kind: "whole", count: 1 },
    ],
    [
      "a MIG instance",
      { "gpupool.dev/gpu": "1" },
      { "gpupool.dev/mig": "1g.10gb" },
      { kind: "mig", profile: "1g.10gb" },
    ],
    ["no GPU", {}, {}, { kind: "none" }],
  ])("%s", (_name, limits, ann, gpu) => {
    const r = podWorkload(pod(limits, ann), 1);
    expect("workload" in r && r.workload.gpu).toEqual(gpu);
  });

  it.each([
    [
      "a share of more than one GPU",
      { "gpupool.dev/gpu": "2", "gpupool.dev/gpu-milli": "500" },
      {},
      /must be 1/,
    ],
    ["milli above 1000", { "gpupool.dev/gpu-milli": "1500" }, {}, /at most 1000/],
    [
      "MIG with a share",
      { "gpupool.dev/gpu-milli": "500" },
      { "gpupool.dev/mig": "1g.10gb" },
      /cannot be combined/,
    ],
    ["a bad CUDA annotation", { "gpupool.dev/gpu": "1" }, { "gpupool.dev/cuda": "twelve" }, /12\.2/],
    ["a gang without a size", { "gpupool.dev/gpu": "1" }, { "gpupool.dev/gang": "g" }, /gang-size/],
  ])("refuses %s with a reason", (_name, limits, ann, why) => {
    const r = podWorkload(pod(limits, ann), 1);
    expect("error" in r && r.error).toMatch(why);
  });

  it("two GPU containers of a share pod share its one slice; their milli and memory add up", () => {
    const p = pod({
      "gpupool.dev/gpu": "1",
      "gpupool.dev/gpu-milli": "200",
      "gpupool.dev/gpu-memory": "4Gi",
    });
    p.spec!.containers.push({
      name: "side",
      resources: { limits: { "gpupool.dev/gpu": "1", "gpupool.dev/gpu-milli": "100" } },
    });
    const r = podWorkload(p, 1);
    expect("workload" in r && r.workload.gpu).toEqual({ kind: "share", milli: 300, memoryMiB: 4096 });
  });

  it("reads queue, priority, models, CUDA, gang and preemptibility", () => {
    const r = podWorkload(
      pod(
        { "gpupool.dev/gpu": "1" },
        {
          "gpupool.dev/gpu-model": "A100-SXM4-80GB, H100-80GB",
          "gpupool.dev/cuda": "12.2+compat",
          "scheduling.x-k8s.io/pod-group": "train",
          "gpupool.dev/gang-size": "4",
          "gpupool.dev/preemptible": "false",
        },
        { priority: 1000 },
      ),
      7,
    );
    if (!("workload" in r)) throw new Error(r.error);
    expect(r.workload).toMatchObject({
      id: "u1",
      queue: "team-a",
      priority: 1000,
      seq: 7,
      gpuModels: ["A100-80GB", "H100-80GB"],
      cuda: { version: "12.2", forwardCompat: true },
      gang: { id: "train", size: 4 },
      preemptible: false,
    });
  });

  it("counts CPU and memory as kube-scheduler does: containers summed, init containers at most, overhead added", () => {
    const p: V1Pod = {
      spec: {
        containers: [
          { name: "a", resources: { requests: { cpu: "250m", memory: "64Mi" } } },
          { name: "b", resources: { limits: { cpu: "1", memory: "1Gi" } } },
        ],
        initContainers: [{ name: "i", resources: { requests: { cpu: "2", memory: "128Mi" } } }],
        overhead: { cpu: "100m", memory: "10Mi" },
      },
    };
    expect(podRequests(p)).toEqual({ cpuMilli: 2100, memoryMiB: 1088 + 10 });
  });
});
