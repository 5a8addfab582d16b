import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";
import { quietLogger } from "../loop/logger.js";
import { recordingWrites } from "./test-support/recording-writes.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";

// Acceptance 6 of the Kubernetes mode: a node full of priority-0 pods, three of them under a
// PodDisruptionBudget with maxUnavailable 0; a priority-100 pod asking 4 GPUs is bound once its
// victims are gone; the victims left through the Eviction API only (the scheduler has no delete);
// the PDB's pods are untouched; the preemptor was nominated to the node meanwhile.
describe.runIf(kubeAvailable())("gpupool k8s scheduler on a real API server: preemption", () => {
  let cp: ControlPlane;
  let sched: K8sScheduler;
  const calls: string[] = [];
  let kubelet: NodeJS.Timeout | undefined;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    clearInterval(kubelet);
    await sched?.stop();
    await cp?.stop();
  });

  it("evicts only unprotected lower-priority pods, then binds the preemptor", async () => {
    await createFakeNodes(cp.http, ["full"], { gpus: 8, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    await cp.http.ok("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", {
      apiVersion: "scheduling.k8s.io/v1",
      kind: "PriorityClass",
      metadata: { name: "urgent" },
      value: 100,
    });
    await cp.http.ok("POST", "/apis/policy/v1beta1/namespaces/default/poddisruptionbudgets", {
      apiVersion: "policy/v1beta1",
      kind: "PodDisruptionBudget",
      metadata: { name: "guarded", namespace: "default" },
      spec: { maxUnavailable: 0, selector: { matchLabels: { app: "guarded" } } },
    });
    sched = await startK8sScheduler({
      kubeconfig: cp.kubeconfigPath,
      log: quietLogger,
      wrapWrites: (w) => recordingWrites(w, calls),
    });
    const low = [
      ...Array.from({ length: 3 }, (_, i) =>
        podManifest(`guarded-${i}`, { gpu: 1, labels: { app: "guarded" } }),
      ),
      ...Array.from({ length: 5 }, (_, i) => podManifest(`batch-${i}`, { gpu: 1, labels: { app: "batch" } })),
    ];
    await createPods(cp.http, low);
    await until(
      async () => (await listPods(cp.http)).filter((p) => p.spec.nodeName).length === 8,
      60_000,
      "8 bound",
    );
    // No kubelet on a fake node: finish what is being deleted, as a kubelet would once it stopped.
    const gone: string[] = [];
    kubelet = setInterval(async () => {
      for (const p of await listPods(cp.http).catch(() => []))
        if (p.metadata.deletionTimestamp) {
          gone.push(p.metadata.name);
          await cp.http.call(
            "DELETE",
            `/api/v1/namespaces/default/pods/${p.metadata.name}?gracePeriodSeconds=0`,
          );
        }
    }, 300);
    await createPods(cp.http, [podManifest("urgent", { gpu: 4, priorityClassName: "urgent" })]);
    await until(
      async () => {
        const u = (await listPods(cp.http)).find((p) => p.metadata.name === "urgent");
        if (u?.spec.nodeName === "full") return true;
        throw new Error(`urgent unbound; calls: ${calls.slice(-6).join(", ")}`);
      },
      60_000,
      "the preemptor bound",
    );
    const pods = await listPods(cp.http);
    const names = pods.map((p) => p.metadata.name).sort();
    expect(names.filter((n) => n.startsWith("guarded"))).toEqual(["guarded-0", "guarded-1", "guarded-2"]);
    const evicted = calls.filter((c) => c.startsWith("evict")).map((c) => c.slice(6));
    expect(evicted.length).toBe(4);
    expect(evicted.every((n) => n.startsWith("batch-"))).toBe(true);
    expect([...new Set(gone)].sort()).toEqual([...evicted].sort());
    expect(calls).toContain("nominate urgent full");
    expect(names).toHaveLength(8 - 4 + 1);
    console.log(`k8s preemption: evicted ${evicted.join(", ")} (PDB pods untouched); urgent bound on full`);
  }, 120_000);
});
