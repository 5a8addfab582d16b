import type { V1Lease } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { quietLogger } from "../loop/logger.js";
import { FakeClock } from "../loop/test-support/fake-clock.js";
import { AgentLiveness } from "./agent-liveness.js";
import { KubeCluster } from "./kube-cluster.js";
import { inventoryAnnotation } from "./node-inventory.js";
import { okWrites } from "./test-support/recording-writes.js";

const lease = (node: string, renewTime: string, seconds = 40): V1Lease => ({
  metadata: { name: `gpupool-agent-${node}`, namespace: "kube-node-lease" },
  spec: { holderIdentity: node, renewTime: renewTime as never, leaseDurationSeconds: seconds },
});

describe("whether a node's agent is there", () => {
  it("gone once not seen renewed for the lease's duration (gpupool's clock), back when renewed", () => {
    const a = new AgentLiveness();
    expect(a.upsert(lease("n1", "t0"), 1000)).toBe(41_000);
    expect(a.check(40_999)).toEqual({ changed: [], next: 41_000 });
    expect(a.check(41_000).changed).toEqual(["n1"]);
    expect(a.goneReason("n1")).toContain("the gpupool agent on n1 stopped renewing its lease");
    a.upsert(lease("n1", "t0"), 50_000); // the same renewal seen again: still gone
    expect(a.check(50_000).changed).toEqual([]);
    a.upsert(lease("n1", "t1"), 60_000);
    expect(a.check(60_000)).toEqual({ changed: ["n1"], next: 100_000 });
    expect(a.goneReason("n1")).toBeUndefined();
    // A node without an agent lease is not gone; a deleted lease makes it one.
    expect(a.goneReason("n2")).toBeUndefined();
    a.check(200_000);
    a.delete(lease("n1", "t1"));
    expect(a.check(200_001).changed).toEqual(["n1"]);
    expect(a.goneReason("n1")).toBeUndefined();
  });

  it("the cluster port marks a gone agent's GPUs unhealthy, so they take no new work", async () => {
    const clock = new FakeClock(0);
    const cluster = new KubeCluster({ writes: okWrites(async () => "bound"), clock, log: quietLogger });
    cluster.upsertNode({
      metadata: {
        name: "n1",
        annotations: {
          "gpupool.dev/inventory": inventoryAnnotation([{ index: 0, model: "A100-80GB", memoryMiB: 81920 }]),
        },
      },
      status: { allocatable: { cpu: "8", memory: "32Gi" }, conditions: [{ type: "Ready", status: "True" }] },
    });
    cluster.upsertAgentLease(lease("n1", "t0", 10));
    await clock.advance(9_000);
    expect(cluster.nodes()[0]!.gpus[0]!.unhealthy).toBeUndefined();
    await clock.advance(1_100);
    expect(cluster.nodes()[0]!.gpus[0]!.unhealthy).toContain("stopped renewing its lease");
    cluster.upsertAgentLease(lease("n1", "t1", 10));
    expect(cluster.nodes()[0]!.gpus[0]!.unhealthy).toBeUndefined();
  });
});
