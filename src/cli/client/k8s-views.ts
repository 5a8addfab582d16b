import { GpupoolError } from "../../core/errors.js";
import type { K8sGpuView, K8sNodeView, K8sPodView } from "../../k8s/cluster-view.js";
import { gpuRequestText, heldGpusText } from "./job-views.js";
import { type Io, stdio } from "./common.js";
import { age, type Column, emit, outputFormat, table } from "./output.js";
import { cpus, cpusOf, gpus, memory, memoryOf, percent } from "./units.js";

/**
 * `gpupool nodes --k8s` and `gpupool ps --k8s`: the cluster's GPU nodes, their GPUs with the pods
 * holding each slice, and the GPU pods, read from the Kubernetes API server (k8s/cluster-read.ts).
 */
export interface K8sFlags {
  readonly kubeconfig?: string;
  readonly output?: string;
}

const NODE_COLUMNS: readonly Column<K8sNodeView>[] = [
  { header: "NODE", cell: (n) => `${n.name}${n.ready ? "" : " (NotReady)"}` },
  { header: "CPU", cell: (n) => cpusOf(n.used.cpuMilli, n.cpuMilli) },
  { header: "MEMORY", cell: (n) => memoryOf(n.used.memoryMiB, n.memoryMiB) },
  {
    header: "GPUS",
    cell: (n) =>
      n.inventoryError ? `? (${n.inventoryError})` : `${n.gpus}${n.simulated ? " (simulated)" : ""}`,
  },
  { header: "GPU USED", cell: (n) => (n.used.gpuMilli === 0 ? "0" : gpus(n.used.gpuMilli)) },
  { header: "PODS", cell: (n) => String(n.pods) },
  { header: "DRIVER", cell: (n) => n.driverVersion ?? "-", wide: true },
];

const GPU_COLUMNS: readonly Column<K8sGpuView>[] = [
  { header: "NODE", cell: (g) => g.node },
  { header: "GPU", cell: (g) => String(g.index) },
  { header: "MODEL", cell: (g) => `${g.model}${g.simulated ? " (simulated)" : ""}` },
  { header: "USED", cell: (g) => percent(g.usedMilli) },
  { header: "MEMORY", cell: (g) => memoryOf(g.usedMemoryMiB, g.memoryMiB) },
  { header: "HEALTH", cell: (g) => (g.unhealthy ? `UNHEALTHY (${g.unhealthy})` : "ok") },
  {
    header: "PODS",
    cell: (g) => g.slices.map((s) => `${s.pod} (${s.mig ?? percent(s.milli)})`).join(", ") || "-",
  },
  { header: "UUID", cell: (g) => g.uuid ?? "-", wide: true },
];

function holds(p: K8sPodView): string {
  return p.noSlice ? "none (not gpupool's)" : heldGpusText(p.holds);
}

const POD_COLUMNS: readonly Column<K8sPodView>[] = [
  { header: "NAMESPACE", cell: (p) => p.namespace },
  { header: "NAME", cell: (p) => p.name },
  { header: "PHASE", cell: (p) => p.phase },
  { header: "GPU", cell: (p) => (p.gpu ? gpuRequestText(p.gpu) : "?") },
  { header: "NODE", cell: (p) => p.node ?? "-" },
  { header: "HOLDS", cell: holds },
  { header: "AGE", cell: (p) => age(p.createdAt) },
  { header: "QUEUE", cell: (p) => p.queue, wide: true },
  { header: "PRIO", cell: (p) => String(p.priority), wide: true },
  { header: "CPU", cell: (p) => (p.cpuMilli ? cpus(p.cpuMilli) : "-"), wide: true },
  { header: "MEMORY", cell: (p) => (p.memoryMiB ? memory(p.memoryMiB) : "-"), wide: true },
  { header: "SCHEDULER", cell: (p) => p.scheduler, wide: true },
  { header: "REASON", cell: (p) => p.noSlice ?? p.reason ?? "-", wide: true },
];

async function read(f: K8sFlags, namespace?: string) {
  const { readClusterView } = await import("../../k8s/cluster-read.js");
  return readClusterView(f.kubeconfig, namespace);
}

export async function k8sNodesCommand(f: K8sFlags, io: Io = stdio): Promise<number> {
  const format = outputFormat(f);
  const view = await read(f);
  const doc = { nodes: view.nodes, gpus: view.gpus };
  emit(
    format,
    doc,
    (wide) =>
      view.nodes.length === 0
        ? "No GPU nodes: no Node has the gpupool.dev/inventory annotation (is `gpupool k8s agent` running there?)\n"
        : `${table(NODE_COLUMNS, view.nodes, wide)}\n${table(GPU_COLUMNS, view.gpus, wide)}`,
    io.out,
  );
  return 0;
}

export interface K8sPsFlags extends K8sFlags {
  readonly namespace?: string;
  readonly allNamespaces?: boolean;
  readonly all?: boolean;
  readonly watch?: boolean;
  readonly state?: string;
}

const FINISHED = new Set(["Succeeded", "Failed"]);

export async function k8sPsCommand(f: K8sPsFlags, io: Io = stdio): Promise<number> {
  const format = outputFormat(f);
  if (f.watch)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      "ps --watch reads a gpupool server; with --k8s use kubectl get pods -w",
    );
  if (f.allNamespaces && f.namespace)
    throw new GpupoolError("GP_INVALID_ARGUMENT", "-A (all namespaces) and -n NAMESPACE cannot go together");
  const namespace = f.allNamespaces ? undefined : (f.namespace ?? "default");
  const phases = f.state
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const view = await read(f, namespace);
  const pods = view.pods.filter((p) => (phases ? phases.includes(p.phase) : f.all || !FINISHED.has(p.phase)));
  emit(
    format,
    { pods },
    (wide) =>
      table(f.allNamespaces ? POD_COLUMNS : POD_COLUMNS.filter((c) => c.header !== "NAMESPACE"), pods, wide),
    io.out,
  );
  return 0;
}
