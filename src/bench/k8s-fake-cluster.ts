import type { GpuDevice } from "../core/node.js";
import type { KubeHttp } from "../k8s/kube-http.js";
import { MANAGED_TAINT, NODE_ANNOTATION, SCHEDULER_NAME } from "../k8s/names.js";
import { inventoryAnnotation } from "../k8s/node-inventory.js";

/**
 * Fake nodes for scale tests: Node objects made through the API with a Ready status, capacity and
 * a gpupool inventory (what the agent would publish), and pods made in parallel.
 */
export interface FakeNodeOptions {
  readonly gpus: number;
  readonly model?: string;
  readonly gpuMemoryMiB?: number;
  readonly cpu?: string;
  readonly memory?: string;
  /** Also advertise nvidia.com/gpu (so kube-scheduler can place whole GPUs there). */
  readonly nvidiaGpu?: boolean;
  readonly taint?: boolean;
}

export async function createFakeNodes(
  http: KubeHttp,
  names: readonly string[],
  o: FakeNodeOptions,
): Promise<void> {
  await parallel(names, 16, async (name) => {
    const gpus: GpuDevice[] = Array.from({ length: o.gpus }, (_, i) => ({
      index: i,
      uuid: `GPU-SIM-${name}-${i}`,
      model: o.model ?? "H100-80GB",
      memoryMiB: o.gpuMemoryMiB ?? 81_559,
      simulated: true,
    }));
    await http.ok("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        labels: { "kubernetes.io/hostname": name, "gpupool.dev/simulated": "true" },
        annotations: { [NODE_ANNOTATION.inventory]: inventoryAnnotation(gpus) },
      },
      spec: o.taint === false ? {} : { taints: [MANAGED_TAINT] },
    });
    const cap = {
      cpu: o.cpu ?? "64",
      memory: o.memory ?? "1024Gi",
      pods: "1000",
      "gpupool.dev/gpu": String(o.gpus * 4),
      ...(o.nvidiaGpu ? { "nvidia.com/gpu": String(o.gpus) } : {}),
    };
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    await http.ok(
      "PATCH",
      `/api/v1/nodes/${name}/status`,
      {
        status: {
          capacity: cap,
          allocatable: cap,
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "KubeletReady",
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
        },
      },
      "application/strategic-merge-patch+json",
    );
    // The API server taints a new Node not-ready; the node lifecycle controller (off here, so fake
    // nodes are not evicted) would lift it once Ready.
    await http.ok(
      "PATCH",
      `/api/v1/nodes/${name}`,
      { spec: { taints: o.taint === false ? null : [MANAGED_TAINT] } },
      "application/merge-patch+json",
    );
  });
}

/** A Node as a kubelet registers it: Ready, with CPU and memory, no GPUs known, no taints. */
export async function registerNode(
  http: KubeHttp,
  name: string,
  cpu = "64",
  memory = "512Gi",
): Promise<void> {
  await http.ok("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name } });
  const cap = { cpu, memory, pods: "110" };
  await http.ok(
    "PATCH",
    `/api/v1/nodes/${name}/status`,
    {
      status: {
        capacity: cap,
        allocatable: cap,
        conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
      },
    },
    "application/strategic-merge-patch+json",
  );
  await http.ok("PATCH", `/api/v1/nodes/${name}`, { spec: { taints: null } }, "application/merge-patch+json");
}

export interface PodShape {
  readonly gpu?: number;
  readonly milli?: number;
  readonly gpuMemory?: string;
  readonly nvidiaGpu?: number;
  readonly cpu?: string;
  readonly memory?: string;
  readonly schedulerName?: string;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  /** A PriorityClass name (the API server turns it into spec.priority). */
  readonly priorityClassName?: string;
}

export function podManifest(name: string, s: PodShape, namespace = "default"): Record<string, unknown> {
  const limits: Record<string, string> = {};
  if (s.gpu !== undefined) limits["gpupool.dev/gpu"] = String(s.gpu);
  if (s.milli !== undefined) limits["gpupool.dev/gpu-milli"] = String(s.milli);
  if (s.gpuMemory !== undefined) limits["gpupool.dev/gpu-memory"] = s.gpuMemory;
  if (s.nvidiaGpu !== undefined) limits["nvidia.com/gpu"] = String(s.nvidiaGpu);
  const requests: Record<string, string> = {};
  if (s.cpu) requests.cpu = s.cpu;
  if (s.memory) requests.memory = s.memory;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      ...(s.annotations ? { annotations: s.annotations } : {}),
      ...(s.labels ? { labels: s.labels } : {}),
    },
    spec: {
      schedulerName: s.schedulerName ?? SCHEDULER_NAME,
      ...(s.priorityClassName ? { priorityClassName: s.priorityClassName } : {}),
      containers: [{ name: "main", image: "localhost/busybox:latest", resources: { limits, requests } }],
    },
  };
}

export async function createPods(
  http: KubeHttp,
  pods: readonly Record<string, unknown>[],
  concurrency = 32,
): Promise<void> {
  await parallel(pods, concurrency, async (p) => {
    const ns = (p.metadata as { namespace: string }).namespace;
    // A namespace made a moment ago may not have its service account token yet (500 ServerTimeout).
    for (let attempt = 0; ; attempt++) {
      const r = await http.call("POST", `/api/v1/namespaces/${ns}/pods`, p);
      if (r.status === 201) return;
      if (r.status !== 500 || attempt >= 5)
        throw new Error(`create pod: HTTP ${r.status}: ${r.body?.message}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  });
}

/** Every pod of a namespace (one list call). */
export async function listPods(http: KubeHttp, namespace = "default"): Promise<PodView[]> {
  const r = await http.ok("GET", `/api/v1/namespaces/${namespace}/pods`);
  return (r?.items ?? []) as PodView[];
}

export interface PodView {
  metadata: { name: string; uid: string; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    nominatedNodeName?: string;
  };
}

async function parallel<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
