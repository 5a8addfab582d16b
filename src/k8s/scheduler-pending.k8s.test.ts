import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quietLogger } from "../loop/logger.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";

// Acceptance 3 of the Kubernetes mode: 100 nodes, 2,000 pods for a capacity of 800: 800 bound, the
// other 1,200 Pending with PodScheduled=False and the scheduler's reason (and an event), and the
// scheduler nearly idle afterwards (parked pods cost nothing until something changes).
describe.runIf(kubeAvailable())("gpupool k8s scheduler on a real API server: more pods than room", () => {
  let cp: ControlPlane;
  let sched: K8sScheduler;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    await sched?.stop();
    await cp?.stop();
  });

  it("binds 800 of 2,000, marks the rest Unschedulable with a reason, then idles", async () => {
    const nodes = Array.from({ length: 100 }, (_, i) => `small-${String(i).padStart(3, "0")}`);
    await createFakeNodes(cp.http, nodes, { gpus: 2, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    sched = await startK8sScheduler({ kubeconfig: cp.kubeconfigPath, log: quietLogger });
    await createPods(
      cp.http,
      Array.from({ length: 2000 }, (_, i) =>
        podManifest(`p-${i}`, { gpu: 1, milli: 250, gpuMemory: "10Gi" }),
      ),
    );
    const settled = async () => {
      const pods = await listPods(cp.http);
      const bound = pods.filter((p) => p.spec.nodeName);
      const marked = pods.filter(
        (p) =>
          !p.spec.nodeName &&
          p.status?.conditions?.some(
            (c) =>
              c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable" && c.message,
          ),
      );
      return { pods, bound, marked };
    };
    await until(
      async () => {
        const s = await settled();
        if (s.bound.length + s.marked.length === 2000) return true;
        throw new Error(`${s.bound.length} bound, ${s.marked.length} marked`);
      },
      180_000,
      "800 bound and 1,200 marked",
    );
    const s = await settled();
    expect(s.bound.length).toBe(800);
    expect(s.marked.length).toBe(1200);
    const message = s.marked[0]!.status!.conditions!.find((c) => c.type === "PodScheduled")!.message!;
    expect(message).toMatch(/GPU|share|node/i);
    const events = await cp.http.ok(
      "GET",
      "/api/v1/namespaces/default/events?fieldSelector=reason=FailedScheduling",
    );
    expect(((events?.items ?? []) as unknown[]).length).toBeGreaterThanOrEqual(1200);
    await sched.cluster.drained();

    // Idle: 35 s (a parked pod is retried after 30 s), scheduler CPU from this process.
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 35_000));
    const c1 = process.cpuUsage(c0);
    const cores = (c1.user + c1.system) / 1000 / (performance.now() - t0);
    console.log(
      `k8s pending: 800 bound, 1,200 Unschedulable ("${message}"); idle CPU ${cores.toFixed(3)} core over 35 s`,
    );
    expect(cores).toBeLessThan(0.2);
    expect((await settled()).bound.length).toBe(800);
  }, 300_000);
});
