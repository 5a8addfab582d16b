import type { Command } from "commander";
import { POLICIES } from "../../scheduler/policies.js";
import type { RegisterCommand } from "./register.js";

/** k8s scheduler, k8s manifests: gpupool on a Kubernetes cluster (docs/kubernetes.md). */
export const registerK8s: RegisterCommand = (program: Command) => {
  const k8s = program
    .command("k8s")
    .summary("run gpupool on Kubernetes: the GPU-slice scheduler, the node agent, and their manifests")
    .description(
      [
        "gpupool's Kubernetes mode. `k8s scheduler` schedules pods with `schedulerName: gpupool` that ask for",
        "gpupool.dev/gpu (whole GPUs, or a share with gpupool.dev/gpu-milli and gpupool.dev/gpu-memory) or nvidia.com/gpu,",
        "with the same scheduler core as `gpupool up`. `k8s agent` publishes a node's GPUs and hands containers their slices. `k8s manifests`",
        "prints the scheduler's Deployment, the agent's DaemonSet and their RBAC. `gpupool nodes --k8s` and",
        "`gpupool ps --k8s` show the cluster's GPUs and who holds which slice. See docs/kubernetes.md.",
      ].join("\n"),
    )
    .addHelpText(
      "after",
      "\nExamples:\n  gpupool k8s manifests | kubectl apply -f -\n  gpupool k8s scheduler --kubeconfig ~/.kube/config",
    );

  k8s
    .command("scheduler")
    .summary("schedule GPU pods (schedulerName: gpupool) on the cluster until stopped")
    .description(
      [
        "Watches Nodes and Pods, places pending pods whose schedulerName is gpupool, and binds each with its GPU slice in",
        "the gpupool.dev/assignment annotation (one update sets the node and the slice). Pods that cannot be placed get",
        "PodScheduled=False with the reason and a FailedScheduling event. Nodes take part once Ready; their GPUs come from",
        "the gpupool.dev/inventory annotation. CPU and memory requests of every pod on a node count, gpupool's or not.",
        "With --leader-elect (the default) one scheduler per cluster is active (a Lease named gpupool-scheduler);",
        "others wait. Stops on SIGINT/SIGTERM, releasing the lease; logs JSON lines to stderr.",
      ].join("\n"),
    )
    .option(
      "--kubeconfig <file>",
      "kubeconfig to use (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)",
    )
    .option("--policy <name>", `placement policy: ${POLICIES.join(", ")}`, "default")
    .option("--no-leader-elect", "do not take the lease (only when you run exactly one scheduler)")
    .option("--lease-namespace <ns>", "namespace of the leader lease", "kube-system")
    .option("--lease-duration <seconds>", "a leader that stops renewing for this long is replaced", "15")
    .option("--concurrency <n>", "API writes (bindings, status) in flight at once", "32")
    .option(
      "--queues <file>",
      "queues and their quotas (YAML: queues: [{name, weight, guarantee: {gpu, gpuMemory, cpu, memory}, limit: {…}}]); a pod's queue is its gpupool.dev/queue annotation, else its namespace; read again on SIGHUP",
    )
    .option(
      "--extender-listen <host:port>",
      "also serve kube-scheduler's extender (filter, bind) here, e.g. :8888, so kube-scheduler's pods can share gpupool's nodes without OutOfcpu races (docs/kubernetes.md)",
    )
    .option("--log-level <level>", "info, warn, error or debug", "info")
    .addHelpText(
      "after",
      "\nExamples:\n  gpupool k8s scheduler --kubeconfig ~/.kube/config\n  gpupool k8s scheduler --queues queues.yaml       # quotas per namespace or gpupool.dev/queue\n  gpupool k8s scheduler --extender-listen :8888     # kube-scheduler binds through gpupool\n  gpupool k8s scheduler --policy binpack --no-leader-elect",
    )
    .action(async (opts) => {
      const { runSchedulerCommand } = await import("../../k8s/scheduler-command.js");
      await runSchedulerCommand(opts);
    });

  k8s
    .command("agent")
    .summary(
      "the node agent: publish this node's GPUs, and serve the kubelet device plugin for gpupool.dev/gpu",
    )
    .description(
      [
        "Discovers this node's GPUs with the node layer (nvidia-smi; simulated GPUs, labelled, when there is none or with",
        "--simulate) and keeps them in the Node's gpupool.dev/inventory annotation, which the scheduler places slices on;",
        "labels the node gpupool.dev/simulated and gpupool.dev/gpus, and taints it gpupool.dev/managed=true:NoSchedule so",
        "kube-scheduler keeps ordinary pods off (--no-taint leaves the taints alone). Re-discovers every --interval",
        "seconds and writes only changes, and renews its Lease (kube-node-lease/gpupool-agent-NODE): while it is not",
        "renewed the scheduler puts no new GPU work on the node.",
        "It also serves the kubelet device plugin (API v1beta1) for gpupool.dev/gpu: registers with the kubelet, advertises",
        "--slots devices per GPU, and answers each container's Allocate with its pod's slice (visible GPU UUIDs, MPS limits",
        "or a time-slice's memory limit), finding the pod through the kubelet's PodResources API; it registers again when",
        "the kubelet restarts. Tested on a real Kubernetes 1.20.2 kubelet with containerd (docs/kubernetes.md).",
      ].join("\n"),
    )
    .option(
      "--kubeconfig <file>",
      "kubeconfig to use (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)",
    )
    .option("--node-name <name>", "the Node to publish on (default: $NODE_NAME, else the host name)")
    .option("--simulate <gpus>", "simulated GPUs instead of nvidia-smi's, e.g. 8xH100-80GB")
    .option("--interval <seconds>", "re-discover and re-publish this often", "60")
    .option(
      "--lease-duration <seconds>",
      "the agent's Lease (kube-node-lease/gpupool-agent-NODE) lasts this long unrenewed; renewed every quarter of it",
      "40",
    )
    .option("--no-taint", "do not taint the node gpupool.dev/managed=true:NoSchedule")
    .option(
      "--device-plugin-dir <dir>",
      "the kubelet's device-plugin directory",
      "/var/lib/kubelet/device-plugins",
    )
    .option(
      "--pod-resources-socket <file>",
      "the kubelet's PodResources socket",
      "/var/lib/kubelet/pod-resources/kubelet.sock",
    )
    .option("--slots <n>", "devices advertised per GPU (the most pods one GPU can hold)", "16")
    .option(
      "--gpu-sharing <mode>",
      "how GPU shares are enforced: auto (MPS on real GPUs when nvidia-cuda-mps-control is on PATH, else time-slicing), mps or timeslice",
      "auto",
    )
    .option("--mps-dir <dir>", "root of the MPS daemons' pipe and log directories", "/run/gpupool/mps")
    .option("--no-device-plugin", "publish the inventory only")
    .option("--log-level <level>", "info, warn, error or debug", "info")
    .addHelpText(
      "after",
      "\nExamples:\n  gpupool k8s agent --node-name gpu-node-1\n  gpupool k8s agent --simulate 8xH100-80GB --kubeconfig ~/.kube/config",
    )
    .action(async (opts) => {
      const { runAgentCommand } = await import("../../k8s/agent-command.js");
      await runAgentCommand(opts);
    });

  k8s
    .command("manifests")
    .summary("print the scheduler's Deployment, the agent's DaemonSet, their RBAC and examples (YAML)")
    .description(
      [
        "Prints the objects to install gpupool's scheduler on a cluster, as one YAML stream for kubectl apply -f -:",
        "Namespace, ServiceAccounts, ClusterRoles and bindings, the scheduler Deployment (leader-elected), the agent",
        "DaemonSet (on nodes labelled gpupool.dev/agent=true: kubectl label node NODE gpupool.dev/agent=true), three example",
        "PriorityClasses (gpupool-low 0, gpupool-normal 100, gpupool-high 1000) and a sample quarter-GPU pod.",
        "deploy/kubernetes/gpupool.yaml holds the same with the defaults.",
      ].join("\n"),
    )
    .option("--namespace <ns>", "namespace for the scheduler", "gpupool-system")
    .option("--image <image>", "the gpupool image the Deployment and DaemonSet run", "gpupool:0.1.0")
    .addHelpText(
      "after",
      "\nExamples:\n  gpupool k8s manifests > gpupool.yaml\n  gpupool k8s manifests --image registry.example/gpupool:0.1.0 | kubectl apply -f -",
    )
    .action(async (opts: { namespace: string; image: string }) => {
      const { manifestsYaml } = await import("../../k8s/manifests.js");
      process.stdout.write(manifestsYaml({ namespace: opts.namespace, image: opts.image }));
    });
};
