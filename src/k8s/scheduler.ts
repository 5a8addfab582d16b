import {
  CoreV1Api,
  type Informer,
  KubeConfig,
  makeInformer,
  type ObjectCache,
  type V1Lease,
  type V1Node,
  type V1Pod,
} from "@kubernetes/client-node";
import type { QueueSpec } from "../core/queue.js";
import { systemClock } from "../loop/clock.js";
import type { Logger } from "../loop/logger.js";
import { ScheduleLoop } from "../loop/schedule-loop.js";
import { type Policy, policyProfile } from "../scheduler/policies.js";
import { type Extender, startExtender } from "./extender.js";
import { KubeCluster, type PdbLike } from "./kube-cluster.js";
import { KubeHttp } from "./kube-http.js";
import { HttpKubeWrites, type KubeWrites } from "./kube-writes.js";
import { AGENT_LEASE } from "./names.js";

/**
 * `gpupool k8s scheduler`: the standalone scheduling loop (loop/) over the API server. Informers on
 * Nodes and Pods feed the KubeCluster port; no cycle runs before both have listed (so a restart
 * rebuilds every held slice from the pods' assignment annotations before placing anything).
 */
type PdbObject = PdbLike & { apiVersion?: string; kind?: string };

export interface K8sSchedulerOptions {
  /** A kubeconfig file; default: in-cluster config, else ~/.kube/config (client-node's default). */
  readonly kubeconfig?: string;
  readonly policy?: Policy;
  readonly log: Logger;
  readonly minCycleGapMs?: number;
  readonly window?: number;
  /** API writes in flight at once (the client's QPS is bounded by this and the server's latency). */
  readonly concurrency?: number;
  /** Queues with their quotas (`--queues FILE`); default none (every queue unlimited). */
  readonly queues?: readonly QueueSpec[];
  /** Wraps the HTTP writes (tests record them). */
  readonly wrapWrites?: (writes: KubeWrites) => KubeWrites;
  /** Serve kube-scheduler's extender (filter, bind) here (extender.ts); default: not served. */
  readonly extender?: { readonly host: string; readonly port: number };
}

export interface K8sScheduler {
  readonly cluster: KubeCluster;
  readonly loop: ScheduleLoop;
  readonly extender: Extender | undefined;
  /** New queues and quotas (`--queues` re-read on SIGHUP): waiting pods are tried again at once. */
  setQueues(queues: readonly QueueSpec[]): void;
  stop(): Promise<void>;
}

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

export async function startK8sScheduler(o: K8sSchedulerOptions): Promise<K8sScheduler> {
  const kc = loadKubeConfig(o.kubeconfig);
  const http = await KubeHttp.fromConfig(kc, o.concurrency ?? 32);
  // PodDisruptionBudgets and Evictions are policy/v1 from Kubernetes 1.22 on, v1beta1 before.
  const policy = (await http.call("GET", "/apis/policy/v1")).status === 200 ? "v1" : "v1beta1";
  let queues: readonly QueueSpec[] = o.queues ?? [];
  const cluster = new KubeCluster({
    writes: (o.wrapWrites ?? ((w) => w))(new HttpKubeWrites(http, policy)),
    clock: systemClock,
    log: o.log,
    ...(o.window ? { window: o.window } : {}),
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
    queues: () => queues,
  });
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = makeInformer<V1Node>(kc, "/api/v1/nodes", () => core.listNode());
  const pods = makeInformer<V1Pod>(kc, "/api/v1/pods", () => core.listPodForAllNamespaces());
  nodes.on("add", (n) => cluster.upsertNode(n));
  nodes.on("update", (n) => cluster.upsertNode(n));
  nodes.on("delete", (n) => cluster.deleteNode(n));
  pods.on("add", (p) => cluster.upsertPod(p));
  pods.on("update", (p) => cluster.upsertPod(p));
  pods.on("delete", (p) => cluster.deletePod(p));
  // The agents' leases (agent-lease.ts): a node whose agent stopped renewing takes no new GPU work.
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${AGENT_LEASE.namespace}/leases`;
  const leases = makeInformer<V1Lease>(
    kc,
    leasePath,
    async () =>
      (await http.ok(
        "GET",
        `${leasePath}?labelSelector=${encodeURIComponent(AGENT_LEASE.selector)}`,
      )) as never,
    AGENT_LEASE.selector,
  );
  leases.on("add", (l) => cluster.upsertAgentLease(l));
  leases.on("update", (l) => cluster.upsertAgentLease(l));
  leases.on("delete", (l) => cluster.deleteAgentLease(l));
  const pdbPath = `/apis/policy/${policy}/poddisruptionbudgets`;
  const pdbs = makeInformer<PdbObject>(kc, pdbPath, async () => (await http.ok("GET", pdbPath)) as never);
  pdbs.on("add", (b) => cluster.upsertPdb(b));
  pdbs.on("update", (b) => cluster.upsertPdb(b));
  pdbs.on("delete", (b) => cluster.deletePdb(b));
  let stopped = false;
  const restartOnError = (name: string, inf: Informer<V1Node | V1Pod> & ObjectCache<V1Node | V1Pod>) =>
    inf.on("error", (err: unknown) => {
      if (stopped) return;
      o.log.warn({ err }, `${name} watch failed; restarting in 1 s`);
      setTimeout(() => {
        if (!stopped)
          inf.start().catch((e: unknown) => o.log.error({ err: e }, `${name} watch restart failed`));
      }, 1000).unref();
    });
  restartOnError("node", nodes as never);
  restartOnError("pod", pods as never);
  restartOnError("disruption budget", pdbs as never);
  restartOnError("agent lease", leases as never);
  await Promise.all([nodes.start(), pods.start(), pdbs.start(), leases.start()]);
  const loop = new ScheduleLoop({
    port: cluster,
    profile: policyProfile(o.policy ?? "default"),
    clock: systemClock,
    log: o.log,
    minCycleGapMs: o.minCycleGapMs ?? 20,
    gapFactor: 0, // nothing else runs in this process
  });
  loop.start();
  const extender = o.extender
    ? await startExtender({ cluster, http, log: o.log, host: o.extender.host, port: o.extender.port })
    : undefined;
  return {
    cluster,
    loop,
    extender,
    setQueues(next) {
      queues = next;
      cluster.retryParked();
      loop.kick();
    },
    async stop() {
      stopped = true;
      await extender?.close();
      await loop.close();
      await Promise.all([nodes.stop(), pods.stop(), pdbs.stop(), leases.stop()]);
      await cluster.drained();
      await http.close();
    },
  };
}
