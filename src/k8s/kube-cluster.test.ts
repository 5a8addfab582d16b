import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { ClusterChange } from "../loop/cluster-port.js";
import { quietLogger } from "../loop/logger.js";
import { FakeClock } from "../loop/test-support/fake-clock.js";
import { assignmentAnnotation } from "./assignment.js";
import { KubeCluster } from "./kube-cluster.js";
import type { KubeWrites } from "./kube-writes.js";
import { okWrites, recordingWrites } from "./test-support/recording-writes.js";
import { inventoryAnnotation } from "./node-inventory.js";

function node(name: string, cpu = "8", heartbeat = "2026-12-04T00:00:00Z"): V1Node {
  return {
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name },
      annotations: {
        "gpupool.dev/inventory": inventoryAnnotation([{ index: 0, model: "A100-80GB", memoryMiB: 81920 }]),
      },
    },
    status: {
      allocatable: { cpu, memory: "32Gi" },
      conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: heartbeat as never }],
    },
  };
}
function pod(
  uid: string,
  o: { scheduler?: string; nodeName?: string; cpu?: string; gpu?: string; assignment?: string } = {},
): V1Pod {
  return {
    metadata: {
      uid,
      name: uid,
      namespace: "default",
      ...(o.assignment ? { annotations: { "gpupool.dev/assignment": o.assignment } } : {}),
    },
    spec: {
      schedulerName: o.scheduler ?? "gpupool",
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      containers: [
        {
          name: "c",
          resources: {
            requests: { cpu: o.cpu ?? "100m" },
            limits: o.gpu ? { "gpupool.dev/gpu": o.gpu } : {},
          },
        },
      ],
    },
  };
}

function world(bind: KubeWrites["bind"] = async () => "bound") {
  const clock = new FakeClock(0);
  const calls: string[] = [];
  const writes = recordingWrites(okWrites(bind), calls);
  const cluster = new KubeCluster({ writes, clock, log: quietLogger, retryMs: 30_000 });
  const changes: ClusterChange[] = [];
  cluster.changes((c) => changes.push(c));
  return { cluster, clock, calls, changes };
}

describe("the Kubernetes cluster port", () => {
  it("kube-scheduler's binds through the extender: room counts gpupool's assumed slices, a hold counts at once", () => {
    const { cluster, changes } = world();
    cluster.upsertNode(node("n1", "2"));
    cluster.upsertPod(pod("g1", { gpu: "1", cpu: "1500m" }));
    cluster.bind([
      {
        workloadId: "g1",
        node: "n1",
        cpuMilli: 1500,
        memoryMiB: 0,
        gpus: [{ index: 0, milli: 1000, memoryMiB: 81920 }],
      },
    ]);
    // Assumed, not yet confirmed by the watch: still taken.
    expect(cluster.roomFor(["n1", "unknown"], { cpuMilli: 600, memoryMiB: 0 })).toEqual(
      new Map([
        ["n1", "Insufficient cpu (gpupool counts 500m free)"],
        ["unknown", null],
      ]),
    );
    expect(cluster.roomFor(["n1"], { cpuMilli: 400, memoryMiB: 0 }).get("n1")).toBeNull();
    const before = changes.length;
    cluster.hold("web", "n1", { cpuMilli: 400, memoryMiB: 0 });
    expect(changes.slice(before)).toContainEqual({ kind: "nodes" }); // at once, not after the coalescing timer
    expect(cluster.nodes()[0]!.cpuMilli).toBe(1600);
    expect(cluster.roomFor(["n1"], { cpuMilli: 200, memoryMiB: 0 }).get("n1")).toContain("100m free");
    // Its binding seen: counted once, as a bound pod.
    cluster.upsertPod(pod("web", { scheduler: "default-scheduler", nodeName: "n1", cpu: "400m" }));
    expect(cluster.nodes()[0]!.cpuMilli).toBe(1600);
    // A refused binding lets the room go.
    cluster.hold("web2", "n1", { cpuMilli: 100, memoryMiB: 0 });
    cluster.releaseHeld("web2");
    expect(cluster.nodes()[0]!.cpuMilli).toBe(1600);
  });

  it("counts other schedulers' pods against node CPU, and ignores heartbeats", async () => {
    const { cluster, clock, changes } = world();
    cluster.upsertNode(node("n1"));
    expect(cluster.nodes()[0]!.cpuMilli).toBe(8000);
    cluster.upsertPod(pod("web", { scheduler: "default-scheduler", nodeName: "n1", cpu: "3" }));
    expect(cluster.nodes()[0]!.cpuMilli).toBe(5000);
    await clock.advance(20);
    const before = changes.filter((c) => c.kind === "nodes").length;
    cluster.upsertNode(node("n1", "8", "2026-12-04T00:00:10Z"));
    await clock.advance(20);
    expect(changes.filter((c) => c.kind === "nodes").length).toBe(before);
    cluster.deletePod(pod("web", { scheduler: "default-scheduler", nodeName: "n1", cpu: "3" }));
    expect(cluster.nodes()[0]!.cpuMilli).toBe(8000);
    // The node's allocatable pods, less other schedulers' pods (gpupool's own the core counts).
    const withPods = node("n2");
    withPods.status!.allocatable!.pods = "110";
    cluster.upsertNode(withPods);
    cluster.upsertPod(pod("w1", { scheduler: "default-scheduler", nodeName: "n2", cpu: "0" }));
    cluster.upsertPod(pod("w2", { scheduler: "default-scheduler", nodeName: "n2", cpu: "0" }));
    expect(cluster.nodes().find((n) => n.name === "n2")!.pods).toBe(108);
    expect(cluster.nodes().find((n) => n.name === "n1")!.pods).toBeUndefined();
  });

  it("a bound pod with its assignment holds its slice; one bound without an assignment is not gpupool's", () => {
    const { cluster } = world();
    cluster.upsertNode(node("n1"));
    const a = assignmentAnnotation({
      workloadId: "p1",
      node: "n1",
      cpuMilli: 100,
      memoryMiB: 0,
      gpus: [{ index: 0, milli: 1000, memoryMiB: 81920 }],
    });
    cluster.upsertPod(pod("p1", { nodeName: "n1", gpu: "1", assignment: a }));
    cluster.upsertPod(pod("p2", { nodeName: "n1", gpu: "1" }));
    expect(cluster.placed().map((p) => p.workload.id)).toEqual(["p1"]);
    expect(cluster.nodes()[0]!.cpuMilli).toBe(8000 - 100); // p2 still takes its CPU
  });

  it("assume → bind; a refused bind releases the slice and the pod waits again", async () => {
    let answer: "bound" | "gone" | Error = new Error("HTTP 500");
    const { cluster, clock, calls, changes } = world(async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    });
    cluster.upsertNode(node("n1"));
    cluster.upsertPod(pod("p1", { gpu: "1" }));
    expect(cluster.pending(0).map((w) => w.id)).toEqual(["p1"]);
    const alloc = {
      workloadId: "p1",
      node: "n1",
      cpuMilli: 100,
      memoryMiB: 0,
      gpus: [{ index: 0, milli: 1000, memoryMiB: 81920 }],
    };
    expect(cluster.bind([alloc])).toEqual(["p1"]);
    expect(cluster.pending(0)).toEqual([]); // assumed
    expect(cluster.placed()).toHaveLength(1);
    await cluster.drained();
    expect(calls).toContain("bind p1 n1");
    expect(changes).toContainEqual({ kind: "released", id: "p1" });
    expect(cluster.placed()).toHaveLength(0);
    expect(cluster.pending(clock.now())).toEqual([]); // backing off
    await clock.advance(1000);
    expect(cluster.pending(clock.now()).map((w) => w.id)).toEqual(["p1"]);
    answer = "bound";
    cluster.bind([alloc]);
    await cluster.drained();
    expect(cluster.placed()).toHaveLength(1); // until the watch confirms it
  });

  it("an unschedulable pod is marked once per reason and parked until something is released", async () => {
    const { cluster, calls } = world();
    cluster.upsertNode(node("n1"));
    cluster.upsertPod(pod("p1", { gpu: "4" }));
    cluster.noteReasons(new Map([["p1", "0/1 nodes are available: 1 × not enough free whole GPUs"]]));
    cluster.noteReasons(new Map([["p1", "0/1 nodes are available: 1 × not enough free whole GPUs"]]));
    await cluster.drained();
    expect(calls.filter((c) => c.startsWith("unschedulable"))).toHaveLength(1);
    expect(cluster.pending(0)).toEqual([]);
    const a = assignmentAnnotation({
      workloadId: "x",
      node: "n1",
      cpuMilli: 0,
      memoryMiB: 0,
      gpus: [{ index: 0, milli: 1000, memoryMiB: 0 }],
    });
    cluster.upsertPod(pod("x", { nodeName: "n1", gpu: "1", assignment: a }));
    cluster.deletePod(pod("x", { nodeName: "n1", gpu: "1", assignment: a }));
    expect(cluster.pending(0).map((w) => w.id)).toEqual(["p1"]);
  });

  it("a pod gpupool cannot read is marked with why, never placed", async () => {
    const { cluster, calls } = world();
    cluster.upsertPod({
      ...pod("bad"),
      metadata: { uid: "bad", name: "bad", namespace: "default", annotations: { "gpupool.dev/gang": "g" } },
    });
    await cluster.drained();
    expect(cluster.pending(0)).toEqual([]);
    expect(calls.join("\n")).toMatch(
      /unschedulable bad: gpupool cannot schedule this pod: gang "g" needs gpupool.dev\/gang-size/,
    );
  });
});
