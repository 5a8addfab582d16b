import { stringify } from "yaml";
import { ASSIGNMENT_ANNOTATION, RESOURCE, SCHEDULER_NAME } from "./names.js";

/**
 * What `gpupool k8s manifests` prints (and deploy/kubernetes/ holds): the scheduler's RBAC and
 * Deployment, example PriorityClasses and a sample pod. Plain objects, validated against a real API
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
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "gpupool-scheduler", namespace: o.namespace },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "gpupool-scheduler" },
      rules: [
        { apiGroups: [""], resources: ["nodes", "pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/binding", "pods/eviction"], verbs: ["create"] },
        { apiGroups: [""], resources: ["pods/status"], verbs: ["patch", "update"] },
        { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch", "update"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
        { apiGroups: ["scheduling.k8s.io"], resources: ["priorityclasses"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["get", "list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "gpupool-scheduler" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "gpupool-scheduler" },
      subjects: [{ kind: "ServiceAccount", name: "gpupool-scheduler", namespace: o.namespace }],
    },
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
    "# gpupool on Kubernetes: the scheduler (schedulerName: gpupool), its RBAC, example PriorityClasses",
    "# and a sample pod. Pods choose it with `schedulerName: gpupool`; their slice is written in the",
    `# ${ASSIGNMENT_ANNOTATION} annotation of their Binding. See docs/kubernetes.md.`,
    "",
  ].join("\n");
  return header + [...schedulerManifests(o), samplePod()].map((d) => stringify(d)).join("---\n");
}
