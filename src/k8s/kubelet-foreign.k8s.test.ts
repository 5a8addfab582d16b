import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createPods, listPods } from "../bench/k8s-fake-cluster.js";
import { quietLogger } from "../loop/logger.js";
import { ensureBuilt } from "../server/test-support/kill9-suite.js";
import { assignmentAnnotation } from "./assignment.js";
import { cpuMilliOf, memoryMiBOf } from "./quantity.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";
import { type Kubelet, kubeletSuiteRuns, startKubelet } from "./test-support/kubelet.js";
import {
  type AgentProcess,
  advertised,
  busyboxPod,
  type FullPod,
  spawnAgent,
} from "./test-support/kubelet-pods.js";

// What others put on a gpupool node, on a real 1.20.2 kubelet with containerd:
// acceptance 8 of the Kubernetes mode, the node's half: a pod with a self-written
// gpupool.dev/assignment, or bound by someone else, asking for gpupool.dev/gpu, gets no GPU: the
// agent refuses its Allocate (the kubelet fails it at admission) and records a Warning event.
// Acceptance 9: kube-scheduler's ordinary CPU pods beside gpupool's GPU pods on the same node,
// created together for more CPU and memory than the node has: 0 OutOfcpu/OutOfmemory rejections.
// kube-scheduler runs with gpupool's extender (extender.ts): without it the two schedulers race
// into the node's last room (4–6 of 24 pods rejected per round, measured here).
const run = kubeletSuiteRuns(kubeAvailable());

const sleep = ["sh", "-c", "env | grep -E '^(CUDA|NVIDIA|GPUPOOL)_'; echo STARTED; sleep 600"];

describe.runIf(run)("gpupool k8s on a real kubelet: what others put on a gpupool node", () => {
  let cp: ControlPlane;
  let kubelet: Kubelet;
  let sched: K8sScheduler;
  let agent: AgentProcess | undefined;
  let kubeScheduler: ChildProcess | undefined;
  const pods = async () => (await listPods(cp.http)) as unknown as FullPod[];

  beforeAll(async () => {
    ensureBuilt();
    cp = await startControlPlane();
    kubelet = await startKubelet(cp, "gpu-node");
    agent = spawnAgent(cp, kubelet);
    sched = await startK8sScheduler({
      kubeconfig: cp.kubeconfigPath,
      log: quietLogger,
      extender: { host: "127.0.0.1", port: 0 },
    });
    await until(() => advertised(cp, kubelet), 60_000, "the node advertising 8 × 16 gpupool.dev/gpu");
  }, 240_000);
  afterAll(async () => {
    agent?.child.kill("SIGKILL");
    kubeScheduler?.kill("SIGKILL");
    await sched?.stop();
    await kubelet?.stop();
    await cp?.stop();
  });

  it("a forged slice and a foreign binding get no GPU: refused at admission, with the agent's event", async () => {
    const gpu = { "gpupool.dev/gpu": "1" };
    const forged = busyboxPod(
      "forged",
      [{ name: "main", command: sleep, limits: gpu }],
      { nodeName: kubelet.name },
      {
        "gpupool.dev/assignment": assignmentAnnotation({
          workloadId: "x",
          node: kubelet.name,
          cpuMilli: 0,
          memoryMiB: 0,
          gpus: [{ index: 0, milli: 1000, memoryMiB: 81_920 }],
        }),
      },
    );
    const foreign = busyboxPod("foreign", [{ name: "main", command: sleep, limits: gpu }], {
      nodeName: kubelet.name,
      schedulerName: "default-scheduler",
    });
    await createPods(cp.http, [forged, foreign]);
    let failed: FullPod[] = [];
    await until(
      async () => {
        failed = (await pods()).filter((p) => p.status?.phase === "Failed");
        return failed.length === 2;
      },
      60_000,
      "both pods failed at admission",
    );
    for (const p of failed) {
      console.log(`k8s kubelet: ${p.metadata.name}: ${p.status?.reason}: ${p.status?.message}`);
      expect(p.status?.reason).toBe("UnexpectedAdmissionError");
      expect(p.status?.message).toContain("holds no GPU slice");
      expect(kubelet.logs(p.metadata, "main")).toBe(""); // no container ran
    }
    const why = Object.fromEntries(failed.map((p) => [p.metadata.name, p.status?.message ?? ""]));
    expect(why.forged).toContain("not by gpupool's scheduler");
    expect(why.foreign).toContain("bound by default-scheduler");
    let told: string[] = [];
    await until(
      async () => {
        const events = await cp.http.ok(
          "GET",
          "/api/v1/namespaces/default/events?fieldSelector=reason=GpupoolSliceRefused",
        );
        told = (
          (events?.items ?? []) as { involvedObject: { name: string }; source?: { component?: string } }[]
        )
          .filter((e) => e.source?.component === "gpupool-agent")
          .map((e) => e.involvedObject.name)
          .sort();
        return told.length === 2;
      },
      20_000,
      "the agent's two GpupoolSliceRefused events",
    );
    expect(told).toEqual(["foreign", "forged"]);
    await cp.http.ok("DELETE", "/api/v1/namespaces/default/pods?gracePeriodSeconds=0");
    await until(async () => (await pods()).length === 0, 60_000, "pods gone");
  }, 180_000);

  it("kube-scheduler's CPU pods beside gpupool's GPU pods: 0 OutOfcpu or OutOfmemory", async () => {
    // kube-scheduler with gpupool's extender (filter, bind), as docs/kubernetes.md configures it.
    kubeScheduler = await cp.startKubeScheduler(1000, sched.extender!.url);
    // kube-scheduler is ready once it binds a probe pod.
    await createPods(cp.http, [
      busyboxPod("probe", [{ name: "main", command: sleep }], { schedulerName: "default-scheduler" }),
    ]);
    await until(
      async () => (await pods()).some((p) => p.metadata.name === "probe" && p.spec.nodeName),
      60_000,
      "kube-scheduler binding a probe pod",
    );
    await cp.http.ok("DELETE", "/api/v1/namespaces/default/pods/probe?gracePeriodSeconds=0");
    await until(async () => (await pods()).length === 0, 60_000, "the probe gone");
    const node = await cp.http.ok("GET", `/api/v1/nodes/${kubelet.name}`);
    const allocatable =
      (node?.status as { allocatable?: Record<string, string> } | undefined)?.allocatable ?? {};
    const cpuCap = cpuMilliOf(allocatable.cpu!);
    const memCap = memoryMiBOf(allocatable.memory!, "down");
    for (let round = 0; round < 3; round++) {
      // Each pod asks a tenth of the node's CPU and of its memory: either scheduler's 8 fit (8/10),
      // the 16 together do not, so both race for the last room.
      const requests = { cpu: `${Math.floor(cpuCap / 10)}m`, memory: `${Math.floor(memCap / 10)}Mi` };
      const made = Array.from({ length: 16 }, (_, i) => {
        const gpupool = i % 2 === 0;
        return busyboxPod(
          `r${round}-${gpupool ? "gpu" : "cpu"}-${i}`,
          [
            {
              name: "main",
              command: sleep,
              requests,
              ...(gpupool ? { limits: { "gpupool.dev/gpu": "1", "gpupool.dev/gpu-milli": "100" } } : {}),
            },
          ],
          gpupool ? {} : { schedulerName: "default-scheduler" },
        );
      });
      const t0 = Date.now();
      await createPods(cp.http, made);
      const madeIn = Date.now() - t0;
      // Settled: the bound set unchanged for 5 s and every bound pod started or failed.
      let bound: FullPod[] = [];
      let last = "";
      let since = Date.now();
      await until(
        async () => {
          const all = (await pods()).filter((p) => p.metadata.name.startsWith(`r${round}-`));
          bound = all.filter((p) => p.spec.nodeName);
          const key = bound
            .map((p) => p.metadata.name)
            .sort()
            .join(",");
          if (key !== last) {
            last = key;
            since = Date.now();
          }
          const started = bound.every(
            (p) => p.status?.phase === "Failed" || kubelet.logs(p.metadata, "main").includes("STARTED"),
          );
          return started && Date.now() - since > 5000;
        },
        120_000,
        `round ${round}: both schedulers settled`,
      );
      const rejected = bound
        .filter((p) => p.status?.phase === "Failed")
        .map((p) => `${p.metadata.name}: ${p.status?.reason}`);
      const sum = (f: (r: Record<string, string>) => number) =>
        bound.reduce((s, p) => s + f(p.spec.containers[0]?.resources?.requests ?? {}), 0);
      const cpu = sum((r) => cpuMilliOf(r.cpu ?? "0"));
      const mem = sum((r) => memoryMiBOf(r.memory ?? "0"));
      const byGpupool = bound.filter((p) => p.spec.schedulerName === "gpupool").length;
      const ext = sched.extender!.counts;
      console.log(
        `k8s kubelet: round ${round}: 16 pods made in ${madeIn} ms; bound ${byGpupool} by gpupool, ${bound.length - byGpupool} by kube-scheduler; cpu ${cpu}/${cpuCap}m, memory ${mem}/${memCap} MiB; ${rejected.length} rejected by the kubelet; extender so far: ${ext.filtered} filters, ${ext.bound} binds, ${ext.refused} refused`,
      );
      expect(rejected).toEqual([]);
      expect(cpu).toBeLessThanOrEqual(cpuCap);
      expect(mem).toBeLessThanOrEqual(memCap);
      expect(bound.length).toBe(10); // the node full, by both
      expect(byGpupool).toBeGreaterThanOrEqual(2);
      expect(bound.length - byGpupool).toBeGreaterThanOrEqual(2);
      await cp.http.ok("DELETE", "/api/v1/namespaces/default/pods?gracePeriodSeconds=0");
      await until(async () => (await pods()).length === 0, 60_000, "pods gone");
    }
  }, 600_000);
});
