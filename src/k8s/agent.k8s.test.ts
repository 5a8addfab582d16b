import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createPods, listPods, podManifest, registerNode } from "../bench/k8s-fake-cluster.js";
import { quietLogger } from "../loop/logger.js";
import { type K8sAgent, startK8sAgent } from "./agent.js";
import { assignmentOf } from "./assignment.js";
import { readInventory } from "./node-inventory.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";

// The agent's inventory half against a real API server: a Node registered without GPUs gets the
// agent's inventory, labels and taint; the scheduler then places a share on those GPUs, its
// assignment naming the GPU's UUID; an unchanged inventory is not written again.
describe.runIf(kubeAvailable())("gpupool k8s agent on a real API server", () => {
  let cp: ControlPlane;
  let agent: K8sAgent;
  let sched: K8sScheduler;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);
  const startAgent = () =>
    startK8sAgent({
      kc: cp.kc,
      nodeName: "worker-1",
      simulate: "4xH100-80GB",
      intervalMs: 200,
      leaseDurationSeconds: 2,
      log: quietLogger,
    });
  afterAll(async () => {
    await sched?.stop();
    await agent?.stop();
    await cp?.stop();
  });

  it("publishes the node's (simulated) GPUs, and the scheduler places on them", async () => {
    await registerNode(cp.http, "worker-1", "16", "64Gi");
    agent = await startAgent();
    const node = (await cp.http.ok("GET", "/api/v1/nodes/worker-1"))!;
    const inv = readInventory(node as never);
    if (!inv || "error" in inv) throw new Error(`no inventory: ${JSON.stringify(inv)}`);
    expect(inv.gpus.map((g) => [g.model, g.memoryMiB, g.simulated])).toEqual(
      Array(4).fill(["H100-80GB", 81559, true]),
    );
    const meta = node.metadata as { labels: Record<string, string>; resourceVersion: string };
    expect(meta.labels).toMatchObject({ "gpupool.dev/simulated": "true", "gpupool.dev/gpus": "4" });
    expect((node.spec as { taints: unknown[] }).taints).toEqual([
      { key: "gpupool.dev/managed", value: "true", effect: "NoSchedule" },
    ]);
    await new Promise((r) => setTimeout(r, 700)); // three more rounds: nothing changed, nothing written
    const again = (await cp.http.ok("GET", "/api/v1/nodes/worker-1"))!;
    expect((again.metadata as { resourceVersion: string }).resourceVersion).toBe(meta.resourceVersion);

    sched = await startK8sScheduler({ kubeconfig: cp.kubeconfigPath, log: quietLogger });
    await createPods(cp.http, [podManifest("half", { gpu: 1, milli: 500, gpuMemory: "40Gi" })]);
    await until(async () => (await listPods(cp.http))[0]?.spec.nodeName === "worker-1", 30_000, "bound");
    const pod = (await listPods(cp.http))[0]!;
    const a = JSON.parse(pod.metadata.annotations!["gpupool.dev/assignment"]!);
    expect(assignmentOf(pod as never)?.gpus[0]).toMatchObject({ milli: 500, memoryMiB: 40960 });
    expect(a.gpus[0].uuid).toBe(inv.gpus[a.gpus[0].index]!.uuid);
  }, 120_000);

  it("a node whose agent stops renewing its lease takes no new GPU work until the agent is back", async () => {
    const lease = await cp.http.ok(
      "GET",
      "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/gpupool-agent-worker-1",
    );
    expect(lease?.spec).toMatchObject({ holderIdentity: "worker-1", leaseDurationSeconds: 2 });
    await agent.stop(); // as if it died: no more renewals
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    await createPods(cp.http, [podManifest("later", { gpu: 1, milli: 250 })]);
    const later = async () => (await listPods(cp.http)).find((p) => p.metadata.name === "later");
    await until(
      async () =>
        (
          (await later())?.status as { conditions?: { type: string; status: string }[] } | undefined
        )?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "False") === true,
      30_000,
      "the pod waiting: its only node's agent is gone",
    );
    expect((await later())?.spec.nodeName).toBeUndefined();
    const status = (await later())?.status as
      | { conditions?: { type: string; message?: string }[] }
      | undefined;
    const why = status?.conditions?.find((c) => c.type === "PodScheduled")?.message;
    expect(why).toContain("every GPU of the node is unhealthy or its agent is gone");
    agent = await startAgent();
    await until(
      async () => (await later())?.spec.nodeName === "worker-1",
      40_000,
      "bound once the agent is back",
    );
    console.log(
      `k8s agent: lease gone and back, the waiting pod bound ${Date.now() - t0} ms after the agent stopped`,
    );
  }, 120_000);
});
