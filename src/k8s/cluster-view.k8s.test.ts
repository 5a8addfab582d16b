import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";
import { BIN } from "../e2e/test-support/gpupool-bin.js";
import { quietLogger } from "../loop/logger.js";
import { ensureBuilt } from "../server/test-support/kill9-suite.js";
import { assignmentOf } from "./assignment.js";
import type { K8sGpuView, K8sNodeView, K8sPodView } from "./cluster-view.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";

const run = promisify(execFile);

// `gpupool nodes --k8s` and `gpupool ps --k8s` (the real bin/gpupool) against a real API server:
// the GPU nodes, each GPU with the pods holding its slices, and the GPU pods with what they hold,
// all as the Binding annotations say.
describe.runIf(kubeAvailable())("gpupool nodes/ps --kubeconfig: the cluster from its API server", () => {
  let cp: ControlPlane;
  let sched: K8sScheduler;
  const gpupool = async (...args: string[]) =>
    (await run(process.execPath, [BIN, ...args, "--kubeconfig", cp.kubeconfigPath], { encoding: "utf8" }))
      .stdout;
  beforeAll(async () => {
    ensureBuilt();
    cp = await startControlPlane();
    await createFakeNodes(cp.http, ["gpu-a", "gpu-b"], { gpus: 2, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    sched = await startK8sScheduler({ kubeconfig: cp.kubeconfigPath, log: quietLogger });
  }, 120_000);
  afterAll(async () => {
    await sched?.stop();
    await cp?.stop();
  });

  it("shows who holds which slice, and why a pod waits", async () => {
    await createPods(cp.http, [
      ...Array.from({ length: 6 }, (_, i) =>
        podManifest(`half-${i}`, { gpu: 1, milli: 500, gpuMemory: "20Gi", cpu: "500m" }),
      ),
      podManifest("too-big", { gpu: 8 }),
    ]);
    await until(
      async () => (await listPods(cp.http)).filter((p) => p.spec.nodeName).length === 6,
      30_000,
      "six half-GPU pods bound",
    );
    const pods = await listPods(cp.http);
    await until(
      async () =>
        (await listPods(cp.http)).some((p) =>
          (p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
            (c) => c.type === "PodScheduled" && c.status === "False",
          ),
        ),
      30_000,
      "too-big marked unschedulable",
    );

    const nodes = JSON.parse(await gpupool("nodes", "-o", "json")) as {
      nodes: K8sNodeView[];
      gpus: K8sGpuView[];
    };
    expect(nodes.nodes.map((n) => n.name).sort()).toEqual(["gpu-a", "gpu-b"]);
    expect(nodes.nodes.reduce((s, n) => s + n.pods, 0)).toBe(6);
    expect(nodes.nodes.reduce((s, n) => s + n.used.cpuMilli, 0)).toBe(3000);
    // Every GPU's slices are the pods whose assignment names it.
    const fromBindings = new Map<string, string[]>();
    for (const p of pods.filter((x) => x.spec.nodeName)) {
      const a = assignmentOf(p as never)!;
      for (const g of a.gpus) {
        const key = `${a.node}/${g.index}`;
        fromBindings.set(key, [...(fromBindings.get(key) ?? []), `default/${p.metadata.name}`].sort());
      }
    }
    for (const g of nodes.gpus) {
      expect(g.slices.map((s) => s.pod).sort(), `${g.node}/${g.index}`).toEqual(
        fromBindings.get(`${g.node}/${g.index}`) ?? [],
      );
      expect(g.usedMilli).toBe(g.slices.length * 500);
    }

    const table = await gpupool("nodes");
    expect(table).toMatch(/^NODE\s+CPU\s+MEMORY\s+GPUS\s+GPU USED\s+PODS/);
    expect(table).toContain("default/half-");

    const ps = JSON.parse(await gpupool("ps", "-A", "-o", "json")) as { pods: K8sPodView[] };
    expect(ps.pods).toHaveLength(7);
    const tooBig = ps.pods.find((p) => p.name === "too-big")!;
    expect(tooBig).toMatchObject({ phase: "Pending", node: null, holds: [] });
    expect(tooBig.reason).toBeTruthy();
    for (const p of ps.pods.filter((x) => x.name.startsWith("half-"))) {
      const bound = pods.find((x) => x.metadata.name === p.name)!;
      expect(p.node).toBe(bound.spec.nodeName);
      expect(p.holds.map((g) => g.index)).toEqual(assignmentOf(bound as never)!.gpus.map((g) => g.index));
    }
    const wide = await gpupool("ps", "-o", "wide");
    expect(wide).toMatch(/^NAME\s+PHASE\s+GPU\s+NODE\s+HOLDS\s+AGE\s+QUEUE/);
    expect(wide).toContain("50% 20 GiB");
    expect(wide.split("\n").find((l) => l.startsWith("too-big"))).toContain(tooBig.reason!.slice(0, 20));
  }, 120_000);

  it("an API server that does not answer is GP_KUBE_UNREACHABLE (exit 4)", async () => {
    const err = await run(process.execPath, [BIN, "nodes", "--kubeconfig", "/nonexistent/kubeconfig"], {
      encoding: "utf8",
    }).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(4);
    expect((err as { stderr: string }).stderr).toContain("error[GP_KUBE_UNREACHABLE]");
  });
});
