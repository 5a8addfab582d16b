/**
 * The names gpupool uses on Kubernetes objects. Everything under `gpupool.dev/` is written by
 * gpupool only (the scheduler writes a pod's assignment in its Binding; the agent writes its node's
 * inventory); a pod that sets one itself gets no slice.
 */

export const SCHEDULER_NAME = "gpupool";
/** The component the node agent's events name. */
export const AGENT_COMPONENT = "gpupool-agent";
export const DOMAIN = "gpupool.dev";

/** Extended resources a pod asks for (container limits or requests). */
export const RESOURCE = {
  /** GPUs visible to the container: N whole GPUs, or 1 for a share or a MIG instance. */
  gpu: `${DOMAIN}/gpu`,
  /** Compute share of one GPU in milli (250 = a quarter); makes the request a share. */
  gpuMilli: `${DOMAIN}/gpu-milli`,
  /** GPU memory of a share (a quantity: 10Gi). */
  gpuMemory: `${DOMAIN}/gpu-memory`,
  /** NVIDIA's device plugin resource, read as whole GPUs. */
  nvidiaGpu: "nvidia.com/gpu",
} as const;

/** Annotations a pod may set. */
export const POD_ANNOTATION = {
  /** A MIG profile, e.g. "1g.10gb": the pod gets one instance of it. */
  mig: `${DOMAIN}/mig`,
  /** Allowed GPU models, comma-separated ("H100-80GB,A100-80GB"). */
  gpuModel: `${DOMAIN}/gpu-model`,
  /** CUDA toolkit the image needs, "12.2" (or "12.2+compat" with cuda-compat in the image). */
  cuda: `${DOMAIN}/cuda`,
  /** The queue (tenant) to count the pod against; default: its namespace. */
  queue: `${DOMAIN}/queue`,
  /** Whether the pod may be preempted ("false" keeps it). */
  preemptible: `${DOMAIN}/preemptible`,
  gang: `${DOMAIN}/gang`,
  gangSize: `${DOMAIN}/gang-size`,
  /** Gang names other schedulers use (scheduler-plugins' coscheduling, Volcano). */
  podGroup: "scheduling.x-k8s.io/pod-group",
  volcanoGroup: "scheduling.k8s.io/group-name",
} as const;

/** What the scheduler writes into a pod's Binding (and so into the pod). */
export const ASSIGNMENT_ANNOTATION = `${DOMAIN}/assignment`;

/** What the agent writes on its Node. */
export const NODE_ANNOTATION = {
  /** The node's GPUs as the node layer discovered them (JSON, see node-inventory.ts). */
  inventory: `${DOMAIN}/inventory`,
} as const;

/** The taint that keeps kube-scheduler's pods off GPU nodes; gpupool's own pods pass it. */
export const MANAGED_TAINT = { key: `${DOMAIN}/managed`, value: "true", effect: "NoSchedule" } as const;

/**
 * The Lease each agent renews while it runs (coordination.k8s.io/v1, in kube-node-lease beside the
 * kubelets' own): `gpupool-agent-<node>`, labelled so the scheduler watches only these. A node
 * whose agent stopped renewing takes no new GPU work (nothing would hand out its slices).
 */
export const AGENT_LEASE = {
  namespace: "kube-node-lease",
  prefix: "gpupool-agent-",
  labels: { "app.kubernetes.io/name": "gpupool-agent" },
  selector: "app.kubernetes.io/name=gpupool-agent",
} as const;
