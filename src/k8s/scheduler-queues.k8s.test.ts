import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";
import { quietLogger } from "../loop/logger.js";
import { parseQueues } from "./queues-file.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";

// Queues and quotas in the Kubernetes mode: a namespace is a queue; `--queues` gives team-a a limit
// of 1 GPU, so of four half-GPU pods two bind and two wait with the quota as their reason, while
// another namespace without a limit takes the rest of the node.
describe.runIf(kubeAvailable())("gpupool k8s scheduler: queue quotas", () => {
  let cp: ControlPlane;
  let sched: K8sScheduler;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    await sched?.stop();
    await cp?.stop();
  });

  it("a namespace's GPU limit holds its pods back, with the reason", async () => {
    await createFakeNodes(cp.http, ["q-node"], { gpus: 4, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    for (const ns of ["team-a", "team-b"]) {
      await cp.http.ok("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
      await until(
        async () =>
          (await cp.http.call("GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200,
        30_000,
        `${ns}'s service account`,
      );
    }
    sched = await startK8sScheduler({
      kubeconfig: cp.kubeconfigPath,
      log: quietLogger,
      queues: parseQueues("queues:\n  - name: team-a\n    limit: { gpu: 1 }\n"),
    });
    const half = (name: string, ns: string) => podManifest(name, { gpu: 1, milli: 500 }, ns);
    await createPods(
      cp.http,
      [0, 1, 2, 3].map((i) => half(`a-${i}`, "team-a")),
    );
    await createPods(
      cp.http,
      [0, 1, 2, 3].map((i) => half(`b-${i}`, "team-b")),
    );
    await until(
      async () => {
        const a = await listPods(cp.http, "team-a");
        const b = await listPods(cp.http, "team-b");
        const marked = a.filter((p) =>
          p.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "False"),
        );
        return (
          a.filter((p) => p.spec.nodeName).length === 2 &&
          marked.length === 2 &&
          b.every((p) => p.spec.nodeName)
        );
      },
      60_000,
      "team-a at its limit, team-b all bound",
    );
    const waiting = (await listPods(cp.http, "team-a")).find((p) => !p.spec.nodeName)!;
    const reason = waiting.status!.conditions!.find((c) => c.type === "PodScheduled")!.message!;
    console.log(`k8s queues: team-a 2 of 4 bound, the rest wait: "${reason}"`);
    expect(reason).toMatch(/team-a/);
    expect(reason).toMatch(/quota|limit/i);
  }, 120_000);
});
