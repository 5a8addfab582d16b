import { statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createPods, listPods } from "../bench/k8s-fake-cluster.js";
import { quietLogger } from "../loop/logger.js";
import { ensureBuilt } from "../server/test-support/kill9-suite.js";
import { assignmentOf } from "./assignment.js";
import { readInventory } from "./node-inventory.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";
import { type Kubelet, kubeletSuiteRuns, startKubelet } from "./test-support/kubelet.js";
import {
  type AgentProcess,
  advertised as advertisedOn,
  busyboxPod,
  type FullPod,
  spawnAgent,
} from "./test-support/kubelet-pods.js";

// Acceptance 7 of the Kubernetes mode, on a real 1.20.2 kubelet with containerd: a node simulating
// 8 × H100-80GB; 20 pods (0.1-0.5 GPU, 1-20 GiB, 3 of them with two GPU containers) made within
// 1 s; each container prints its own slice env; 0 misidentified, 0 admission errors; five rounds.
// Then kill -9 of the agent and a kubelet restart: registered again within 2 s, running pods
// untouched, a new pod admitted.
const run = kubeletSuiteRuns(kubeAvailable());

function gpuPod(name: string, i: number, twoContainers: boolean): Record<string, unknown> {
  const milli = 100 + (i % 5) * 100;
  const gib = 1 + ((i * 7) % 20);
  const command = ["sh", "-c", "env | grep -E '^(CUDA|NVIDIA|GPUPOOL)_' | sort; echo END; sleep 600"];
  return busyboxPod(name, [
    {
      name: "main",
      command,
      limits: {
        "gpupool.dev/gpu": "1",
        "gpupool.dev/gpu-milli": String(milli),
        "gpupool.dev/gpu-memory": `${gib}Gi`,
      },
    },
    ...(twoContainers ? [{ name: "side", command, limits: { "gpupool.dev/gpu": "1" } }] : []),
  ]);
}

describe.runIf(run)("gpupool k8s agent on a real kubelet", () => {
  let cp: ControlPlane;
  let kubelet: Kubelet;
  let sched: K8sScheduler;
  let agent: AgentProcess | undefined;
  const startAgent = () => {
    agent = spawnAgent(cp, kubelet);
  };
  const registrations = () => agent?.registrations() ?? 0;
  const advertised = () => advertisedOn(cp, kubelet);

  beforeAll(async () => {
    ensureBuilt();
    cp = await startControlPlane();
    kubelet = await startKubelet(cp, "gpu-node");
    startAgent();
    sched = await startK8sScheduler({ kubeconfig: cp.kubeconfigPath, log: quietLogger });
    await until(advertised, 60_000, "the node advertising 8 × 16 gpupool.dev/gpu");
  }, 240_000);
  afterAll(async () => {
    agent?.child.kill("SIGKILL");
    await sched?.stop();
    await kubelet?.stop();
    await cp?.stop();
  });

  const pods = async () => (await listPods(cp.http)) as unknown as FullPod[];
  const inventory = async () => {
    const inv = readInventory((await cp.http.ok("GET", `/api/v1/nodes/${kubelet.name}`)) as never);
    if (!inv || "error" in inv) throw new Error("no inventory");
    return inv;
  };

  /** Makes 20 pods, waits for every container's env, checks each against its pod's assignment. */
  const round = async (r: number) => {
    const made = Array.from({ length: 20 }, (_, i) => gpuPod(`r${r}-p${i}`, i, i % 7 === 3));
    const t0 = Date.now();
    await createPods(cp.http, made);
    const madeIn = Date.now() - t0;
    let listed: FullPod[] = [];
    await until(
      async () => {
        listed = (await pods()).filter((p) => p.metadata.name.startsWith(`r${r}-`));
        const failed = listed.filter((p) => p.status?.phase === "Failed");
        if (failed.length) return true;
        const done = listed.filter((p) =>
          p.spec.containers.every((c) => kubelet.logs(p.metadata, c.name).includes("END")),
        );
        if (done.length === 20) return true;
        throw new Error(`${done.length}/20 pods printed their env`);
      },
      120_000,
      `round ${r}: every container printed its env`,
    );
    const inv = await inventory();
    let containers = 0;
    let wrong = 0;
    for (const p of listed) {
      const a = assignmentOf(p as never)!;
      for (const c of p.spec.containers) {
        containers++;
        const env = Object.fromEntries(
          kubelet
            .logs(p.metadata, c.name)
            .split("\n")
            .filter((l) => l.includes("="))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
        );
        const ok =
          env.GPUPOOL_POD === `default/${p.metadata.name}` &&
          env.CUDA_VISIBLE_DEVICES === inv.gpus[a.gpus[0]!.index]!.uuid &&
          env.GPUPOOL_GPU_MEMORY_LIMIT_MIB === String(a.gpus[0]!.memoryMiB);
        if (!ok) wrong++;
      }
    }
    const admissionErrors = listed
      .filter((p) => p.status?.phase === "Failed")
      .map((p) => `${p.metadata.name}: ${p.status?.reason}`);
    return { madeIn, containers, wrong, admissionErrors };
  };

  it("five rounds of 20 pods: every container gets its own pod's slice", async () => {
    for (let r = 0; r < 5; r++) {
      const res = await round(r);
      console.log(
        `k8s kubelet round ${r}: 20 pods made in ${res.madeIn} ms, ${res.containers} containers, ${res.wrong} misidentified, ${res.admissionErrors.length} admission errors`,
      );
      expect(res.admissionErrors).toEqual([]);
      expect(res.containers).toBe(23);
      expect(res.wrong).toBe(0);
      if (r < 4) {
        await cp.http.ok("DELETE", "/api/v1/namespaces/default/pods?gracePeriodSeconds=0");
        await until(async () => (await pods()).length === 0, 60_000, "pods gone");
      }
    }
  }, 900_000);

  it("kill -9 of the agent and a kubelet restart: registered again within 2 s, running pods untouched", async () => {
    // The kubelet reports Running a moment after the containers printed their env.
    await until(
      async () => (await pods()).filter((p) => p.status?.phase === "Running").length === 20,
      60_000,
      "round 4's pods Running",
    );
    const before = await pods();
    const ids = (ps: FullPod[]) =>
      Object.fromEntries(
        ps.flatMap((p) =>
          (p.status?.containerStatuses ?? []).map((c) => [`${p.metadata.name}/${c.name}`, c.containerID]),
        ),
      );
    agent!.child.kill("SIGKILL");
    startAgent();
    await until(async () => registrations() >= 1, 30_000, "the new agent registered");
    const sock = path.join(kubelet.devicePluginDir, "kubelet.sock");
    const id = () => {
      try {
        const st = statSync(sock);
        return `${st.ino}:${st.ctimeMs}`;
      } catch {
        return "";
      }
    };
    const old = id();
    const had = registrations();
    await kubelet.restart();
    await until(async () => id() !== "" && id() !== old, 60_000, "the kubelet's new socket");
    const t0 = Date.now();
    await until(async () => registrations() > had, 10_000, "registered again");
    const took = Date.now() - t0;
    console.log(
      `k8s kubelet: the agent registered again ${took} ms after the restarted kubelet's socket appeared`,
    );
    expect(took).toBeLessThan(2000);
    await until(advertised, 60_000, "the node advertising gpupool.dev/gpu again");
    const after = (await pods()).filter((p) => p.status?.phase === "Running");
    expect(ids(after)).toEqual(ids(before));
    expect(after.flatMap((p) => p.status?.containerStatuses ?? []).every((c) => c.restartCount === 0)).toBe(
      true,
    );

    await createPods(cp.http, [gpuPod("late", 2, false)]);
    await until(
      async () => {
        const p = (await pods()).find((x) => x.metadata.name === "late");
        return p !== undefined && kubelet.logs(p.metadata, "main").includes("GPUPOOL_POD=default/late");
      },
      90_000,
      "a new pod admitted with its slice",
    );
  }, 300_000);
});
