import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createPods, listPods, type PodView, podManifest, registerNode } from "../bench/k8s-fake-cluster.js";
import { quietLogger } from "../loop/logger.js";
import { type K8sAgent, startK8sAgent } from "./agent.js";
import { assignmentOf } from "./assignment.js";
import { readInventory } from "./node-inventory.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";
import { FakeKubelet } from "./test-support/fake-kubelet.js";
import { inventoryFromSmi } from "../node/discover.js";
import { installFakeBins } from "../node/test-support/fake-bin.js";
import { readFixture } from "../node/test-support/fixtures.js";

// The agent's device plugin against a kubelet stand-in (grpc-js: Registration and PodResources,
// admitting pods one at a time in an order of its own, as the 1.20 kubelet was seen to) and a real
// API server: every container's Allocate gets its own pod's slice (no pod misidentified), two GPU
// containers of one pod share its slice, and a kubelet restart is followed by a new registration
// within 2 s. A real kubelet is not part of this test (docs/kubernetes.md).
describe.runIf(kubeAvailable())("gpupool k8s agent: the device plugin", () => {
  let cp: ControlPlane;
  let agent: K8sAgent;
  let sched: K8sScheduler;
  let kubelet: FakeKubelet;
  let dir: string;
  /** The agent's device plugin on the stand-in kubelet. */
  const plugged = () => ({
    dir: kubelet.dir,
    podResourcesSocket: kubelet.podResourcesSocket,
    slots: 16,
    watchMs: 200,
  });
  beforeAll(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(path.join(tmpdir(), "gpupool-dp-"));
    mkdirSync(path.join(dir, "device-plugins"));
    kubelet = new FakeKubelet(path.join(dir, "device-plugins"), path.join(dir, "pod-resources.sock"));
    await kubelet.start();
  }, 120_000);
  afterAll(async () => {
    await sched?.stop();
    await agent?.stop();
    await kubelet?.stop();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers, advertises slots, and hands each container its own pod's slice", async () => {
    await registerNode(cp.http, "worker-1");
    agent = await startK8sAgent({
      kc: cp.kc,
      nodeName: "worker-1",
      simulate: "8xH100-80GB",
      log: quietLogger,
      devicePlugin: plugged(),
    });
    expect(kubelet.registrations).toEqual([
      {
        version: "v1beta1",
        endpoint: "gpupool.sock",
        resource_name: "gpupool.dev/gpu",
        options: expect.anything(),
      },
    ]);
    const plugin = kubelet.plugin(agent.plugin!.socket);
    const options = await kubelet.call<{
      pre_start_required: boolean;
      get_preferred_allocation_available: boolean;
    }>(plugin, "GetDevicePluginOptions", {});
    expect(options).toEqual({ pre_start_required: true, get_preferred_allocation_available: true });
    const devices = await new Promise<{ ID: string; health: string }[]>((resolve, reject) => {
      const stream = plugin.ListAndWatch({});
      stream.once("data", (r: { devices: { ID: string; health: string }[] }) => {
        resolve(r.devices);
        stream.cancel();
      });
      stream.once("error", (e: Error & { code?: number }) => (e.code === 1 ? undefined : reject(e)));
    });
    expect(devices).toHaveLength(8 * 16);
    expect(devices.every((d) => d.health === "Healthy")).toBe(true);

    sched = await startK8sScheduler({ kubeconfig: cp.kubeconfigPath, log: quietLogger });
    // 20 pods, 0.1-0.5 GPU and 1-20 GiB, three of them with two GPU containers, made within 1 s.
    const pods: Record<string, unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const milli = 100 + (i % 5) * 100;
      const gib = 1 + ((i * 7) % 20);
      const p = podManifest(`p-${i}`, { gpu: 1, milli, gpuMemory: `${gib}Gi` });
      if (i % 7 === 3) {
        const spec = p.spec as { containers: { name: string; resources: unknown }[] };
        spec.containers.push({
          name: "side",
          image: "localhost/busybox:latest",
          resources: { limits: { "gpupool.dev/gpu": "1" } },
        } as never);
      }
      pods.push(p);
    }
    const t0 = Date.now();
    await createPods(cp.http, pods);
    expect(Date.now() - t0).toBeLessThan(1500);
    await until(
      async () => (await listPods(cp.http)).filter((p) => p.spec.nodeName).length === 20,
      60_000,
      "20 bound",
    );
    const inv = readInventory((await cp.http.ok("GET", "/api/v1/nodes/worker-1")) as never);
    if (!inv || "error" in inv) throw new Error("no inventory");
    const bound = await listPods(cp.http);
    // The pod informer of the agent has seen every binding before the kubelet admits them.
    await new Promise((r) => setTimeout(r, 500));

    // Admit in an order of the kubelet's own (neither creation nor bind order).
    const order = [...bound].sort((a, b) => (a.metadata.uid < b.metadata.uid ? -1 : 1));
    let slot = 0;
    let misidentified = 0;
    let containers = 0;
    for (const pod of order) {
      const full = pod as PodView & { spec: { containers: { name: string }[] } };
      const entry = {
        namespace: "default",
        name: pod.metadata.name,
        containers: full.spec.containers.map((c) => ({ name: c.name, deviceIds: [] as string[] })),
      };
      kubelet.admitted.push(entry);
      const a = assignmentOf(pod as never)!;
      const want = inv.gpus[a.gpus[0]!.index]!.uuid;
      for (const c of entry.containers) {
        const ids = [devices[slot++ % devices.length]!.ID];
        const r = await kubelet.call<{ container_responses: { envs: Record<string, string> }[] }>(
          plugin,
          "Allocate",
          {
            container_requests: [{ devicesIDs: ids }],
          },
        );
        const envs = r.container_responses[0]!.envs;
        containers++;
        if (envs.GPUPOOL_POD !== `default/${pod.metadata.name}` || envs.CUDA_VISIBLE_DEVICES !== want)
          misidentified++;
        expect(envs.GPUPOOL_GPU_MEMORY_LIMIT_MIB).toBe(String(a.gpus[0]!.memoryMiB));
        expect(envs.GPUPOOL_SIMULATED).toBe("1");
        c.deviceIds = ids;
      }
    }
    console.log(
      `k8s device plugin: ${containers} containers of 20 pods allocated, ${misidentified} misidentified`,
    );
    expect(containers).toBe(23);
    expect(misidentified).toBe(0);

    // A pod gpupool did not bind (no assignment) is refused, not guessed.
    kubelet.admitted.push({
      namespace: "default",
      name: "stranger",
      containers: [{ name: "main", deviceIds: [] }],
    });
    await expect(
      kubelet.call(plugin, "Allocate", { container_requests: [{ devicesIDs: [devices[0]!.ID] }] }),
    ).rejects.toThrow(/no pod bound here by gpupool's scheduler/);
    plugin.close();

    // The kubelet restarts (its socket and the plugin's go): registered again within 2 s.
    const before = kubelet.registrations.length;
    const t1 = Date.now();
    await kubelet.restart(agent.plugin!.socket);
    await until(async () => kubelet.registrations.length > before, 5000, "a new registration");
    const took = Date.now() - t1;
    console.log(`k8s device plugin: registered again ${took} ms after the kubelet restarted`);
    expect(took).toBeLessThan(2000);
  }, 180_000);

  it("on real GPUs (a recorded nvidia-smi output) with --gpu-sharing mps, a share's Allocate starts its GPU's MPS daemon and hands out its limits", async () => {
    await agent.stop();
    await cp.http.ok("DELETE", "/api/v1/nodes/worker-1");
    const fake = installFakeBins({ "nvidia-cuda-mps-control": "fake-nvidia-cuda-mps-control.sh" });
    const mpsDir = path.join(dir, "mps");
    try {
      await registerNode(cp.http, "worker-2");
      agent = await startK8sAgent({
        kc: cp.kc,
        nodeName: "worker-2",
        discover: async () =>
          inventoryFromSmi(readFixture("q-x/telegraf-2x-rtx-a5000-590.44.01.xml"), "fixture", {}),
        gpuSharing: "mps",
        mpsDir,
        mpsEnv: fake.env,
        log: quietLogger,
        devicePlugin: plugged(),
      });
      expect(agent.sharing).toEqual({ mode: "mps", why: "--gpu-sharing mps" });
      await createPods(cp.http, [podManifest("mps-share", { gpu: 1, milli: 300, gpuMemory: "6Gi" })]);
      await until(
        async () =>
          (await listPods(cp.http)).some(
            (p) => p.metadata.name === "mps-share" && p.spec.nodeName === "worker-2",
          ),
        30_000,
        "the share bound to worker-2",
      );
      await new Promise((r) => setTimeout(r, 500)); // the agent's pod informer sees the binding
      const pod = (await listPods(cp.http)).find((p) => p.metadata.name === "mps-share")!;
      const inv = readInventory((await cp.http.ok("GET", "/api/v1/nodes/worker-2")) as never);
      if (!inv || "error" in inv) throw new Error("no inventory");
      const gpu = inv.gpus[assignmentOf(pod as never)!.gpus[0]!.index]!;
      expect(gpu.simulated ?? false).toBe(false);
      kubelet.admitted.push({
        namespace: "default",
        name: "mps-share",
        containers: [{ name: "main", deviceIds: [] }],
      });
      const plugin = kubelet.plugin(agent.plugin!.socket);
      const r = await kubelet.call<{
        container_responses: { envs: Record<string, string>; mounts: { host_path: string }[] }[];
      }>(plugin, "Allocate", { container_requests: [{ devicesIDs: [`${gpu.uuid}-s0`] }] });
      plugin.close();
      const { envs, mounts } = r.container_responses[0]!;
      const pipe = path.join(mpsDir, gpu.uuid!, "pipe");
      expect(envs).toMatchObject({
        CUDA_VISIBLE_DEVICES: gpu.uuid,
        CUDA_MPS_PIPE_DIRECTORY: pipe,
        CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: "30",
        CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: "0=6144M",
      });
      expect(mounts.map((m) => m.host_path)).toEqual([pipe]);
      // The GPU's control daemon was started for that GPU before the answer.
      expect(
        fake.calls().some((c) => c.startsWith("mps-control -d") && c.includes(`visible=${gpu.uuid}`)),
      ).toBe(true);
      console.log(
        `k8s device plugin: MPS share on ${gpu.model}: ${envs.CUDA_MPS_ACTIVE_THREAD_PERCENTAGE}% threads, ${envs.CUDA_MPS_PINNED_DEVICE_MEM_LIMIT}`,
      );
    } finally {
      fake.cleanup();
    }
  }, 120_000);
});
