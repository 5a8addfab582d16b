import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";
import { quietLogger } from "../loop/logger.js";
import { assignmentAnnotation, assignmentWriter } from "./assignment.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";

// Acceptance 8 of the Kubernetes mode, the scheduler's half: a pod that writes its own
// gpupool.dev/assignment, or that another scheduler bound to a GPU node asking for gpupool.dev/gpu,
// holds no slice in gpupool's ledger (its GPU is given to others) and gets a Warning event. An
// assignment another field manager wrote (the pod's creator) does not count.
describe.runIf(kubeAvailable())("gpupool k8s scheduler: slices gpupool did not bind", () => {
  let cp: ControlPlane;
  let sched: K8sScheduler;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    await sched?.stop();
    await cp?.stop();
  });

  it("a forged assignment and a foreign binding hold nothing, and are told so", async () => {
    await createFakeNodes(cp.http, ["gpu-a"], { gpus: 2, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    const forged = podManifest("forged", {
      gpu: 1,
      annotations: {
        "gpupool.dev/assignment": assignmentAnnotation({
          workloadId: "x",
          node: "gpu-a",
          cpuMilli: 0,
          memoryMiB: 0,
          gpus: [{ index: 0, milli: 1000, memoryMiB: 81_920 }],
        }),
      },
    });
    (forged.spec as Record<string, unknown>).nodeName = "gpu-a";
    const foreign = podManifest("foreign", { gpu: 1, schedulerName: "default-scheduler" });
    (foreign.spec as Record<string, unknown>).nodeName = "gpu-a";
    await createPods(cp.http, [forged, foreign]);
    sched = await startK8sScheduler({ kubeconfig: cp.kubeconfigPath, log: quietLogger });
    expect(sched.cluster.placed()).toEqual([]);
    // Both GPUs are still gpupool's to give.
    await createPods(cp.http, [podManifest("real-0", { gpu: 1 }), podManifest("real-1", { gpu: 1 })]);
    await until(
      async () =>
        (await listPods(cp.http)).filter((p) => p.metadata.name.startsWith("real-") && p.spec.nodeName)
          .length === 2,
      30_000,
      "both real pods bound",
    );
    const pods = await listPods(cp.http);
    const real = pods.filter((p) => p.metadata.name.startsWith("real-"));
    // The 1.20 API server keeps no managed fields for a Binding's annotations: gpupool's own read "unknown".
    expect(real.map((p) => assignmentWriter(p as never))).not.toContain("other");
    expect(assignmentWriter(pods.find((p) => p.metadata.name === "forged") as never)).toBe("other");
    await sched.cluster.drained();
    const events = await cp.http.ok(
      "GET",
      "/api/v1/namespaces/default/events?fieldSelector=reason=GpupoolSliceRefused",
    );
    const about = ((events?.items ?? []) as { involvedObject: { name: string } }[])
      .map((e) => e.involvedObject.name)
      .sort();
    expect(about).toEqual(["foreign", "forged"]);
  }, 120_000);
});
