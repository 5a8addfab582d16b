import { hostname } from "node:os";
import { CoreV1Api, type KubeConfig, ListWatch, type V1Pod, Watch } from "@kubernetes/client-node";
import type { NodeSpec } from "../core/node.js";
import { findOnPath } from "../engines/detect.js";
import type { Logger } from "../loop/logger.js";
import { discoverGpus } from "../node/discover.js";
import type { GpuInventory } from "../node/gpu-info.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { nvidiaSmiRunner } from "../node/smi-runner.js";
import { startAgentLease } from "./agent-lease.js";
import { DevicePlugin } from "./device-plugin.js";
import { type GpuSharing, MPS_CONTROL_BINARY, resolveGpuSharing } from "../node/gpu-sharing.js";
import { DEFAULT_MPS_ROOT, MpsControl } from "../node/mps-control.js";
import { KubeHttp } from "./kube-http.js";
import { HttpKubeWrites, podRef } from "./kube-writes.js";
import { AGENT_COMPONENT, DOMAIN, MANAGED_TAINT, NODE_ANNOTATION } from "./names.js";
import { inventoryAnnotation } from "./node-inventory.js";

/**
 * `gpupool k8s agent`, its inventory half: discovers this node's GPUs with the node layer
 * (nvidia-smi; simulated GPUs when there is none, or with `simulate`), and keeps the Node's
 * `gpupool.dev/inventory` annotation, its `gpupool.dev/simulated` and `gpupool.dev/gpus` labels and
 * the `gpupool.dev/managed` taint in step, every `intervalMs` and only when something changed; renews
 * its Lease (agent-lease.ts) so the scheduler knows it is there; and,
 * with `devicePlugin`, serves the kubelet device plugin that hands each container its slice
 * (device-plugin.ts), telling a pod with no slice from gpupool why with a Warning event.
 */
export interface AgentOptions {
  readonly kc: KubeConfig;
  /** The Node to publish on; default $NODE_NAME, else the host name (what the kubelet registers). */
  readonly nodeName?: string;
  /** Simulated GPUs, e.g. "8xH100-80GB" (as `gpupool up --simulate`). */
  readonly simulate?: string;
  readonly intervalMs?: number;
  /** How long the agent's Lease lasts unrenewed (agent-lease.ts); default 40 s, like the kubelet's. */
  readonly leaseDurationSeconds?: number;
  /** Taint the node gpupool.dev/managed=true:NoSchedule (default true). */
  readonly taint?: boolean;
  /** How GPU shares are enforced (node/gpu-sharing.ts; default "auto": MPS on real GPUs with its control binary). */
  readonly gpuSharing?: GpuSharing;
  /** Root of the MPS daemons' pipe and log directories (default /run/gpupool/mps). */
  readonly mpsDir?: string;
  /** Environment the MPS control binary runs with (tests: a stand-in first on PATH). */
  readonly mpsEnv?: NodeJS.ProcessEnv;
  /** Where the GPUs come from instead of nvidia-smi or `simulate` (tests: a recorded real output). */
  readonly discover?: () => Promise<GpuInventory>;
  /** Serve the kubelet device plugin (device-plugin.ts); absent: inventory only. */
  readonly devicePlugin?: {
    readonly dir: string;
    readonly podResourcesSocket: string;
    readonly slots?: number;
    readonly watchMs?: number;
  };
  readonly log: Logger;
}

export const DEFAULT_AGENT_SIMULATE = "2xA100-80GB";

export interface K8sAgent {
  readonly nodeName: string;
  /** The last inventory published (undefined until the Node exists). */
  published(): string | undefined;
  /** The device plugin, when served. */
  readonly plugin: DevicePlugin | undefined;
  /** How shares are enforced here, and what decided it. */
  readonly sharing: { readonly mode: "mps" | "timeslice"; readonly why: string };
  stop(): Promise<void>;
}

async function inventory(simulate: string | undefined): Promise<GpuInventory> {
  if (simulate) return simulateGpus(simulate);
  if (findOnPath("nvidia-smi", process.env.PATH)) return discoverGpus(nvidiaSmiRunner({ timeoutMs: 15_000 }));
  return simulateGpus(DEFAULT_AGENT_SIMULATE);
}

export async function startK8sAgent(o: AgentOptions): Promise<K8sAgent> {
  const nodeName = o.nodeName ?? process.env.NODE_NAME ?? hostname();
  const http = await KubeHttp.fromConfig(o.kc, 2);
  const writes = new HttpKubeWrites(http, "v1beta1", Date.now, AGENT_COMPONENT);
  let last: string | undefined;
  let current: NodeSpec = { name: nodeName, cpuMilli: 0, memoryMiB: 0, gpus: [] };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const path = `/api/v1/nodes/${encodeURIComponent(nodeName)}`;

  const discover = o.discover ?? (() => inventory(o.simulate));
  const publishOnce = async (discovered?: GpuInventory): Promise<void> => {
    const inv = discovered ?? (await discover());
    const spec = inventoryToNodeSpec(inv, { name: nodeName, cpuMilli: 0, memoryMiB: 0 });
    const annotation = inventoryAnnotation(spec.gpus, spec.driverVersion);
    const changed = JSON.stringify(spec.gpus) !== JSON.stringify(current.gpus);
    current = spec;
    if (changed) plugin?.devicesChanged();
    const r = await http.call("GET", path);
    if (r.status === 404) {
      o.log.warn({ node: nodeName }, "no Node object of this name yet (the kubelet registers it); retrying");
      return;
    }
    if (r.status !== 200) throw new Error(`GET node ${nodeName}: HTTP ${r.status} ${r.body?.message ?? ""}`);
    const node = r.body as {
      metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> };
      spec?: { taints?: { key: string; value?: string; effect: string }[] };
    };
    const labels = {
      [`${DOMAIN}/simulated`]: String(inv.simulated),
      [`${DOMAIN}/gpus`]: String(spec.gpus.length),
    };
    const taints = node.spec?.taints ?? [];
    const wantTaint = o.taint !== false && !taints.some((t) => t.key === MANAGED_TAINT.key);
    const same =
      node.metadata?.annotations?.[NODE_ANNOTATION.inventory] === annotation &&
      Object.entries(labels).every(([k, v]) => node.metadata?.labels?.[k] === v) &&
      !wantTaint;
    if (!same) {
      await http.ok(
        "PATCH",
        path,
        {
          metadata: { annotations: { [NODE_ANNOTATION.inventory]: annotation }, labels },
          ...(wantTaint ? { spec: { taints: [...taints, MANAGED_TAINT] } } : {}),
        },
        "application/merge-patch+json",
      );
      o.log.info(
        { node: nodeName, gpus: spec.gpus.length, simulated: inv.simulated },
        "published the node's GPUs",
      );
    }
    last = annotation;
  };

  /** Publishes (the first time, what start-up already discovered), then waits for the next round. */
  const tick = async (discovered?: GpuInventory) => {
    try {
      await publishOnce(discovered);
    } catch (err) {
      o.log.warn({ err, node: nodeName }, "could not publish the node's GPUs; retrying");
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), last === undefined ? 2000 : (o.intervalMs ?? 60_000));
      timer.unref();
    }
  };
  let plugin: DevicePlugin | undefined;
  let pods: ListWatch<V1Pod> | undefined;
  const first = await discover(); // an unusable sharing mode is refused before anything is served
  const sharing = resolveGpuSharing(o.gpuSharing ?? "auto", {
    simulated: first.simulated,
    gpuCount: first.gpus.length,
    mpsControl: findOnPath(MPS_CONTROL_BINARY, (o.mpsEnv ?? process.env).PATH),
  });
  const mps =
    sharing.mode === "mps"
      ? new MpsControl({ root: o.mpsDir ?? DEFAULT_MPS_ROOT, ...(o.mpsEnv ? { env: o.mpsEnv } : {}) })
      : undefined;
  await tick(first);
  const lease = startAgentLease({
    http,
    node: nodeName,
    durationSeconds: o.leaseDurationSeconds ?? 40,
    log: o.log,
  });
  if (o.devicePlugin) {
    // The pods bound to this node: which one an Allocate is for, and its assignment.
    const core = o.kc.makeApiClient(CoreV1Api);
    const fieldSelector = `spec.nodeName=${nodeName}`;
    pods = new ListWatch<V1Pod>(
      "/api/v1/pods",
      new Watch(o.kc),
      () => core.listPodForAllNamespaces({ fieldSelector }),
      false,
      undefined,
      fieldSelector,
    );
    await pods.start();
    const watched = pods;
    plugin = new DevicePlugin({
      dir: o.devicePlugin.dir,
      podResourcesSocket: o.devicePlugin.podResourcesSocket,
      node: () => current,
      pods: () => watched.list(),
      log: o.log,
      ...(mps ? { mps } : {}),
      refused: (pod, why) => {
        const ref = podRef(pod);
        writes
          .warn(ref, "GpupoolSliceRefused", `the gpupool agent on ${nodeName} gave this pod no GPU: ${why}`)
          .catch((err: unknown) => o.log.warn({ err, pod: ref.name }, "could not record the refusal event"));
      },
      ...(o.devicePlugin.slots ? { slots: o.devicePlugin.slots } : {}),
      ...(o.devicePlugin.watchMs ? { watchMs: o.devicePlugin.watchMs } : {}),
    });
    await plugin.start();
  }
  return {
    nodeName,
    published: () => last,
    plugin,
    sharing,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      lease.stop();
      await plugin?.stop();
      await pods?.stop();
      await http.close();
    },
  };
}
