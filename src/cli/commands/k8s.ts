import type { Command } from "commander";
import { POLICIES } from "../../scheduler/policies.js";
import type { RegisterCommand } from "./register.js";

/** k8s scheduler, k8s manifests: gpupool on a Kubernetes cluster (docs/kubernetes.md). */
export const registerK8s: RegisterCommand = (program: Command) => {
  const k8s = program
    .command("k8s")
    .summary("run gpupool on Kubernetes: the GPU-slice scheduler, and its manifests")
    .description(
      [
        "gpupool's Kubernetes mode. `k8s scheduler` schedules pods with `schedulerName: gpupool` that ask for",
        "gpupool.dev/gpu (whole GPUs, or a share with gpupool.dev/gpu-milli and gpupool.dev/gpu-memory) or nvidia.com/gpu,",
        "with the same scheduler core as `gpupool up`. `k8s manifests` prints its RBAC and Deployment.",
        "See docs/kubernetes.md.",
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
    .option("--log-level <level>", "info, warn, error or debug", "info")
    .addHelpText(
      "after",
      "\nExamples:\n  gpupool k8s scheduler --kubeconfig ~/.kube/config\n  gpupool k8s scheduler --policy binpack --no-leader-elect",
    )
    .action(async (opts) => {
      const { runSchedulerCommand } = await import("../../k8s/scheduler-command.js");
      await runSchedulerCommand(opts);
    });

  k8s
    .command("manifests")
    .summary("print the scheduler's RBAC, Deployment, example PriorityClasses and a sample pod (YAML)")
    .description(
      [
        "Prints the objects to install gpupool's scheduler on a cluster, as one YAML stream for kubectl apply -f -:",
        "Namespace, ServiceAccount, ClusterRole and binding, the scheduler Deployment (leader-elected), three example",
        "PriorityClasses (gpupool-low 0, gpupool-normal 100, gpupool-high 1000) and a sample quarter-GPU pod.",
        "deploy/kubernetes/gpupool.yaml holds the same with the defaults.",
      ].join("\n"),
    )
    .option("--namespace <ns>", "namespace for the scheduler", "gpupool-system")
    .option("--image <image>", "the gpupool image the Deployment runs", "gpupool:0.1.0")
    .addHelpText(
      "after",
      "\nExamples:\n  gpupool k8s manifests > gpupool.yaml\n  gpupool k8s manifests --image registry.example/gpupool:0.1.0 | kubectl apply -f -",
    )
    .action(async (opts: { namespace: string; image: string }) => {
      const { manifestsYaml } = await import("../../k8s/manifests.js");
      process.stdout.write(manifestsYaml({ namespace: opts.namespace, image: opts.image }));
    });
};
