import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quietLogger } from "../loop/logger.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";

// Acceptance 5 of the Kubernetes mode: gangs are placed all or nothing in one cycle and never held
// in part (two 100-pod gangs on 100 single-GPU nodes do not deadlock).
describe.runIf(kubeAvailable())("gpupool k8s scheduler on a real API server: gangs", () => {
  let cp: ControlPlane;
  let sched: K8sScheduler;
  beforeAll(async () => {
    cp = await startControlPlane();
    const nodes = Array.from({ length: 100 }, (_, i) => `one-${String(i).padStart(3, "0")}`);
    await createFakeNodes(cp.http, nodes, { gpus: 1, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    sched = await startK8sScheduler({ kubeconfig: cp.kubeconfigPath, log: quietLogger });
  }, 120_000);
  afterAll(async () => {
    await sched?.stop();
    await cp?.stop();
  });

  const member = (gang: string, size: number, i: number) =>
    podManifest(`${gang}-${i}`, {
      gpu: 1,
      annotations: { "gpupool.dev/gang": gang, "gpupool.dev/gang-size": String(size) },
    });
  const boundBy = async () => {
    const by = new Map<string, number>();
    for (const p of await listPods(cp.http)) {
      if (!p.spec.nodeName) continue;
      const g = p.metadata.annotations?.["gpupool.dev/gang"] ?? "single";
      by.set(g, (by.get(g) ?? 0) + 1);
    }
    return by;
  };

  it("two 100-pod gangs on 100 GPUs: one binds whole, the other none; it binds once the first is gone", async () => {
    const pods = [];
    for (let i = 0; i < 100; i++) pods.push(member("ga", 100, i), member("gb", 100, i)); // interleaved
    await createPods(cp.http, pods);
    await until(
      async () => {
        const by = await boundBy();
        if ((by.get("ga") ?? 0) + (by.get("gb") ?? 0) === 100) return true;
        throw new Error(JSON.stringify([...by]));
      },
      120_000,
      "one gang bound",
    );
    await sched.cluster.drained();
    await new Promise((r) => setTimeout(r, 1000));
    const by = await boundBy();
    const [first, second] = (by.get("ga") ?? 0) === 100 ? ["ga", "gb"] : ["gb", "ga"];
    expect([by.get(first), by.get(second) ?? 0]).toEqual([100, 0]);
    const waiting = (await listPods(cp.http)).find((p) => p.metadata.name === `${second}-0`);
    expect(waiting?.status?.conditions?.find((c) => c.type === "PodScheduled")?.message).toMatch(/gang/);

    // Fake nodes run no kubelet: delete at once (grace 0), as a kubelet would confirm.
    await cp.http.ok(
      "DELETE",
      "/api/v1/namespaces/default/pods?gracePeriodSeconds=0&fieldSelector=spec.nodeName!=",
    );
    await until(
      async () => {
        const b = await boundBy();
        if ((b.get(second) ?? 0) === 100 && !b.has(first)) return true;
        throw new Error(JSON.stringify([...b]));
      },
      120_000,
      "the second gang bound",
    );
    await cp.http.ok("DELETE", "/api/v1/namespaces/default/pods?gracePeriodSeconds=0");
    await until(async () => (await listPods(cp.http)).length === 0, 60_000, "pods deleted");
  }, 300_000);

  it("20 gangs × 8 and 500 singles: no gang is ever seen partly bound", async () => {
    const pods = [];
    for (let g = 0; g < 20; g++) for (let i = 0; i < 8; i++) pods.push(member(`g${g}`, 8, i));
    const singles = Array.from({ length: 500 }, (_, i) => podManifest(`s-${i}`, { gpu: 1 }));
    // Singles and gangs mixed in creation order: singles go first on every tenth pod.
    const mixed = [];
    for (let i = 0; i < Math.max(pods.length, singles.length); i++) {
      if (singles[i]) mixed.push(singles[i]!);
      if (pods[i]) mixed.push(pods[i]!);
    }
    let samples = 0;
    const partial: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const by = await boundBy();
        samples++;
        for (const [g, n] of by) if (g !== "single" && n !== 8) partial.push(`${g}: ${n}/8`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    await createPods(cp.http, mixed);
    await until(
      async () => {
        const by = await boundBy();
        const total = [...by.values()].reduce((a, b) => a + b, 0);
        if (total === 100) return true;
        throw new Error(`${total} bound`);
      },
      120_000,
      "100 GPUs used",
    );
    await sched.cluster.drained();
    await new Promise((r) => setTimeout(r, 2000));
    sampling = false;
    await sampler;
    console.log(`k8s gangs: ${samples} samples, partly bound gangs seen: ${partial.length}`);
    expect(samples).toBeGreaterThan(2);
    expect(partial).toEqual([]);
  }, 300_000);
});
