import { stringify } from "yaml";
import { ASSIGNMENT_ANNOTATION, RESOURCE, SCHEDULER_NAME } from "./names.js";

/**
 * What `gpupool k8s manifests` prints (and deploy/kubernetes/ holds): the scheduler's RBAC and
 * Deployment, the node agent's RBAC and DaemonSet, example PriorityClasses and a sample pod. Plain objects, validated against a real API
 * server by manifests.k8s.test.ts.
 */
export interface ManifestOptions {
  readonly namespace: string;
  readonly image: string;
}

export const DEFAULT_MANIFEST_OPTIONS: ManifestOptions = {
  namespace: "gpupool-system",
  image: "gpupool:0.1.0",
};

export function schedulerManifests(o: ManifestOptions = DEFAULT_MANIFEST_OPTIONS): Record<string, unknown>[] {
  const labels = { "app.kubernetes.io/name": "gpupool-scheduler" };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: o.namespace } },
    ...serviceAccount("gpupool-scheduler", o.namespace, [
      { apiGroups: [""], resources: ["nodes", "pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["pods/binding", "pods/eviction"], verbs: ["create"] },
      { apiGroups: [""], resources: ["pods/status"], verbs: ["patch", "update"] },
      { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch", "update"] },
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        verbs: ["get", "list", "watch", "create", "update"],
      },
      { apiGroups: ["scheduling.k8s.io"], resources: ["priorityclasses"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["get", "list", "watch"] },
    ]),
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "gpupool-scheduler", namespace: o.namespace, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "gpupool-scheduler",
            priorityClassName: "system-cluster-critical",
            containers: [
              {
                name: "scheduler",
                image: o.image,
                args: ["k8s", "scheduler", "--lease-namespace", o.namespace],
                env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
              },
            ],
          },
        },
      },
    },
    ...agentManifests(o),
    ...[
      ["gpupool-low", 0, "Batch work; preempted first."],
      ["gpupool-normal", 100, "Default for interactive and training jobs."],
      ["gpupool-high", 1000, "Inference and urgent work; preempts lower classes."],
    ].map(([name, value, description]) => ({
      apiVersion: "scheduling.k8s.io/v1",
      kind: "PriorityClass",
      metadata: { name },
      value,
      globalDefault: false,
      description,
    })),
  ];
}

/** A ServiceAccount, a ClusterRole of the same name with these rules, and the binding of the two. */
function serviceAccount(
  name: string,
  namespace: string,
  rules: readonly object[],
): Record<string, unknown>[] {
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  ];
}

/** The label that puts the agent on a node: `kubectl label node NODE gpupool.dev/agent=true`. */
export const AGENT_NODE_LABEL = { "gpupool.dev/agent": "true" } as const;

/**
 * The node agent: a DaemonSet on the nodes labelled gpupool.dev/agent=true, with the kubelet's
 * device-plugin and PodResources directories mounted, and the RBAC it needs (its Node, the pods
 * bound there, events).
 */
function agentManifests(o: ManifestOptions): Record<string, unknown>[] {
  const labels = { "app.kubernetes.io/name": "gpupool-agent" };
  const hostDir = (name: string, path: string, type = "Directory") => ({
    volume: { name, hostPath: { path, type } },
    mount: { name, mountPath: path },
  });
  const dirs = [
    hostDir("device-plugins", "/var/lib/kubelet/device-plugins"),
    hostDir("pod-resources", "/var/lib/kubelet/pod-resources"),
    // The MPS daemons' pipe directories, which shares' containers mount from the host.
    hostDir("mps", "/run/gpupool/mps", "DirectoryOrCreate"),
  ];
  return [
    ...serviceAccount("gpupool-agent", o.namespace, [
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "patch"] },
    ]),
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "gpupool-agent", namespace: o.namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "gpupool-agent",
            priorityClassName: "system-node-critical",
            nodeSelector: AGENT_NODE_LABEL,
            // MPS daemons it starts share the host's IPC namespace with the shares' containers.
            hostIPC: true,
            // On every labelled node, tainted ones included (gpupool's own taint first of all).
            tolerations: [{ operator: "Exists" }],
            containers: [
              {
                name: "agent",
                image: o.image,
                args: ["k8s", "agent"],
                env: [
                  { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                  // What the NVIDIA container runtime reads to give the agent nvidia-smi and every GPU.
                  { name: "NVIDIA_VISIBLE_DEVICES", value: "all" },
                  { name: "NVIDIA_DRIVER_CAPABILITIES", value: "utility" },
                ],
                resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                volumeMounts: dirs.map((d) => d.mount),
              },
            ],
            volumes: dirs.map((d) => d.volume),
          },
        },
      },
    },
  ];
}

/** A pod asking for a quarter of one GPU and 10 GiB of its memory. */
export function samplePod(): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "quarter-gpu", namespace: "default" },
    spec: {
      schedulerName: SCHEDULER_NAME,
      priorityClassName: "gpupool-normal",
      containers: [
        {
          name: "main",
          image: "nvidia/cuda:12.4.1-base-ubuntu22.04",
          command: ["nvidia-smi"],
          resources: {
            limits: { [RESOURCE.gpu]: "1", [RESOURCE.gpuMilli]: "250", [RESOURCE.gpuMemory]: "10Gi" },
          },
        },
      ],
      restartPolicy: "Never",
    },
  };
}

/** Every manifest as one YAML stream, with a header saying what it is. */
export function manifestsYaml(o: ManifestOptions = DEFAULT_MANIFEST_OPTIONS): string {
  const header = [
    "# gpupool on Kubernetes: the scheduler (schedulerName: gpupool), the node agent (a DaemonSet on nodes",
    "# labelled gpupool.dev/agent=true), their RBAC, example PriorityClasses and a sample pod. Pods choose",
    "# the scheduler with `schedulerName: gpupool`; their slice is written in the",
    `# ${ASSIGNMENT_ANNOTATION} annotation of their Binding. See docs/kubernetes.md.`,
    "",
  ].join("\n");
  return header + [...schedulerManifests(o), samplePod()].map((d) => stringify(d)).join("---\n");
}
