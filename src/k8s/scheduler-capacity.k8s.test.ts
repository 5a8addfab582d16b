import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quietLogger } from "../loop/logger.js";
import { assignmentOf } from "./assignment.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";

// Acceptance 1 of the Kubernetes mode: 100 fake nodes × 8 GPUs, 3,200 pods of 0.25 GPU + 20 GiB,
// all bound, and no GPU over its compute or memory, read back from the Binding annotations.
describe.runIf(kubeAvailable())("gpupool k8s scheduler on a real API server: capacity", () => {
  let cp: ControlPlane;
  let sched: K8sScheduler;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    await sched?.stop();
    await cp?.stop();
  });

  it("binds 3,200 quarter-GPU pods on 100 × 8 GPUs without overfilling any GPU", async () => {
    const nodes = Array.from({ length: 100 }, (_, i) => `gpu-node-${String(i).padStart(3, "0")}`);
    // A100-80GB: 81,920 MiB, so four 20 GiB shares fill a GPU exactly (an H100's 81,559 MiB holds three).
    await createFakeNodes(cp.http, nodes, { gpus: 8, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    sched = await startK8sScheduler({ kubeconfig: cp.kubeconfigPath, log: quietLogger });
    const t0 = Date.now();
    const pods = Array.from({ length: 3200 }, (_, i) =>
      podManifest(`q-${i}`, { gpu: 1, milli: 250, gpuMemory: "20Gi", cpu: "100m", memory: "64Mi" }),
    );
    await createPods(cp.http, pods);
    await until(
      async () => {
        const st = sched.cluster.stats();
        if (st.placed === 3200) return true;
        throw new Error(JSON.stringify(st));
      },
      240_000,
      "3,200 pods placed",
    );
    const seconds = (Date.now() - t0) / 1000;
    const listed = await listPods(cp.http);
    expect(listed.length).toBe(3200);
    const perGpu = new Map<string, { milli: number; mib: number }>();
    let bound = 0;
    for (const p of listed) {
      if (!p.spec.nodeName) continue;
      bound++;
      const a = assignmentOf(p as never);
      expect(a, `${p.metadata.name} is bound with its assignment`).toBeDefined();
      expect(a!.node).toBe(p.spec.nodeName);
      for (const g of a!.gpus) {
        const k = `${a!.node}/${g.index}`;
        const u = perGpu.get(k) ?? { milli: 0, mib: 0 };
        perGpu.set(k, { milli: u.milli + g.milli, mib: u.mib + g.memoryMiB });
      }
    }
    expect(bound).toBe(3200);
    const over = [...perGpu].filter(([, u]) => u.milli > 1000 || u.mib > 81_920);
    expect(over).toEqual([]);
    console.log(
      `k8s capacity: 3,200 pods bound on ${perGpu.size} GPUs in ${seconds.toFixed(1)} s (create + schedule), max per GPU ${Math.max(...[...perGpu.values()].map((u) => u.milli))} milli`,
    );
  }, 300_000);
});
