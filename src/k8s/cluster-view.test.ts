import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { assignmentAnnotation } from "./assignment.js";
import { clusterView } from "./cluster-view.js";
import { inventoryAnnotation } from "./node-inventory.js";

const node = (name: string, gpus: number | undefined): V1Node => ({
  metadata: {
    name,
    labels: { "gpupool.dev/simulated": "true" },
    ...(gpus === undefined
      ? {}
      : {
          annotations: {
            "gpupool.dev/inventory": inventoryAnnotation(
              Array.from({ length: gpus }, (_, index) => ({
                index,
                uuid: `GPU-${name}-${index}`,
                model: "H100-80GB",
                memoryMiB: 81_559,
                simulated: true,
              })),
              "550.54.15",
            ),
          },
        }),
  },
  status: {
    allocatable: { cpu: "8", memory: "32Gi" },
    conditions: [{ type: "Ready", status: "True" }],
  },
});

function pod(
  name: string,
  o: {
    node?: string;
    gpus?: { index: number; milli: number; memoryMiB: number }[];
    scheduler?: string;
    limits?: Record<string, string>;
    cpu?: string;
    phase?: string;
    unschedulable?: string;
  },
): V1Pod {
  return {
    metadata: {
      name,
      namespace: "team-a",
      uid: `uid-${name}`,
      ...(o.gpus && o.node
        ? {
            annotations: {
              "gpupool.dev/assignment": assignmentAnnotation({
                workloadId: name,
                node: o.node,
                cpuMilli: 0,
                memoryMiB: 0,
                gpus: o.gpus,
              }),
            },
          }
        : {}),
    },
    spec: {
      schedulerName: o.scheduler ?? "gpupool",
      ...(o.node ? { nodeName: o.node } : {}),
      containers: [
        {
          name: "main",
          resources: { limits: o.limits ?? {}, requests: o.cpu ? { cpu: o.cpu, memory: "1Gi" } : {} },
        },
      ],
    },
    status: {
      phase: o.phase ?? (o.node ? "Running" : "Pending"),
      ...(o.unschedulable
        ? {
            conditions: [
              { type: "PodScheduled", status: "False", reason: "Unschedulable", message: o.unschedulable },
            ],
          }
        : {}),
    },
  };
}

describe("the cluster as gpupool nodes/ps --k8s show it", () => {
  const quarter = {
    "gpupool.dev/gpu": "1",
    "gpupool.dev/gpu-milli": "250",
    "gpupool.dev/gpu-memory": "10Gi",
  };
  const view = clusterView(
    [node("gpu-a", 2), node("cpu-only", undefined)],
    [
      pod("q1", {
        node: "gpu-a",
        gpus: [{ index: 0, milli: 250, memoryMiB: 10_240 }],
        limits: quarter,
        cpu: "500m",
      }),
      pod("q2", { node: "gpu-a", gpus: [{ index: 0, milli: 250, memoryMiB: 10_240 }], limits: quarter }),
      pod("whole", {
        node: "gpu-a",
        gpus: [{ index: 1, milli: 1000, memoryMiB: 81_559 }],
        limits: { "gpupool.dev/gpu": "1" },
      }),
      pod("done", {
        node: "gpu-a",
        gpus: [{ index: 1, milli: 1000, memoryMiB: 81_559 }],
        limits: { "gpupool.dev/gpu": "1" },
        phase: "Succeeded",
      }),
      pod("waiting", { limits: quarter, unschedulable: "0/1 nodes: no GPU with 25% free" }),
      pod("foreign", { node: "gpu-a", scheduler: "default-scheduler", limits: { "gpupool.dev/gpu": "1" } }),
      pod("web", { node: "gpu-a", scheduler: "default-scheduler", cpu: "2" }),
    ],
  );

  it("lists GPU nodes only, with every pod's CPU and the GPU slices gpupool gave", () => {
    expect(view.nodes.map((n) => n.name)).toEqual(["gpu-a"]);
    const n = view.nodes[0]!;
    expect(n).toMatchObject({
      gpus: 2,
      simulated: true,
      driverVersion: "550.54.15",
      cpuMilli: 8000,
      memoryMiB: 32_768,
      pods: 3,
      ready: true,
    });
    // q1 (500m) and web (2 CPUs): requests count whoever scheduled the pod; finished pods do not.
    expect(n.used).toEqual({ cpuMilli: 2500, memoryMiB: 2048, gpuMilli: 1500 });
    expect(view.gpus.map((g) => [g.index, g.usedMilli, g.usedMemoryMiB, g.slices.map((s) => s.pod)])).toEqual(
      [
        [0, 500, 20_480, ["team-a/q1", "team-a/q2"]],
        [1, 1000, 81_559, ["team-a/whole"]],
      ],
    );
  });

  it("lists GPU pods with what they ask, what they hold and why they wait or hold nothing", () => {
    const byName = Object.fromEntries(view.pods.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(["done", "foreign", "q1", "q2", "waiting", "whole"]);
    expect(byName.q1).toMatchObject({
      phase: "Running",
      node: "gpu-a",
      queue: "team-a",
      gpu: { kind: "share", milli: 250, memoryMiB: 10_240 },
      holds: [{ index: 0, milli: 250, memoryMiB: 10_240, mig: null }],
      noSlice: null,
    });
    expect(byName.waiting).toMatchObject({
      node: null,
      holds: [],
      reason: "0/1 nodes: no GPU with 25% free",
    });
    expect(byName.foreign?.holds).toEqual([]);
    expect(byName.foreign?.noSlice).toContain("bound by default-scheduler");
  });

  it("an unreadable inventory is shown as such, not as a node without GPUs", () => {
    const bad = node("gpu-b", 1);
    bad.metadata!.annotations!["gpupool.dev/inventory"] = "{oops";
    const v = clusterView([bad], []);
    expect(v.nodes[0]).toMatchObject({
      gpus: 0,
      inventoryError: "annotation gpupool.dev/inventory is not JSON",
    });
  });
});
