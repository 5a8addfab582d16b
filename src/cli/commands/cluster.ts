import type { Command } from "commander";
import { exitWith, wantsK8s, withClientFlags, withK8sFlags } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

/** nodes, usage, tenants: the host and the tenants on a server. */
export const registerCluster: RegisterCommand = (program: Command) => {
  withK8sFlags(
    withClientFlags(
      program
        .command("nodes")
        .summary("the host, its GPUs, their MIG instances and what is in use")
        .addHelpText(
          "after",
          [
            "",
            "Memory is in GiB and GPU use in % in the tables; -o wide adds each node's driver and each GPU's",
            "UUID and jobs; -o json|yaml print the API's documents (MiB, milli).",
            "",
            "On MIG-enabled GPUs (e.g. gpupool up --simulate 1xA100-80GB:mig) a third table lists each MIG",
            "instance a job holds: GPU, profile, memory slices, MIG UUID and job; -o json has them as",
            "gpus[].migInstances.",
            "",
            "With --k8s (or --kubeconfig) it reads a Kubernetes cluster instead: the GPU nodes (those whose",
            "gpupool k8s agent publishes gpupool.dev/inventory) with CPU and memory requested there by every",
            "pod, and each GPU with the pods holding its slices (from their gpupool.dev/assignment).",
            "",
            "Examples:",
            "  gpupool nodes",
            "  gpupool nodes -o json",
            "  gpupool nodes --k8s",
            "  gpupool nodes --kubeconfig ~/.kube/config -o wide",
          ].join("\n"),
        ),
    ),
  ).action(async (opts) =>
    exitWith(
      wantsK8s(opts)
        ? await (await import("../client/k8s-views.js")).k8sNodesCommand(opts)
        : await (await import("../client/cluster.js")).nodesCommand(opts),
    ),
  );
  withClientFlags(
    program
      .command("top")
      .summary("a live view: GPUs with their slices, owners, memory and health; the busiest jobs; q quits")
      .option("--interval <ms>", "milliseconds between refreshes", "2000")
      .option("--once", "print one frame and exit (also what happens when stdout is not a terminal)")
      .addHelpText(
        "after",
        [
          "",
          "Redraws in place on the terminal's alternate screen; q or Ctrl-C quits and gives the screen back.",
          "The admin token shows every tenant's jobs; a tenant's token shows its own, and others' slices",
          "as (another tenant).",
          "",
          "Examples:",
          "  gpupool top",
          "  gpupool top --interval 500",
          "  gpupool top --once | head -20",
        ].join("\n"),
      ),
    false,
  ).action(async (opts) => exitWith(await (await import("../client/top.js")).topCommand(opts)));
  withClientFlags(
    program
      .command("usage")
      .summary("GPU-seconds per tenant and job (share × time)")
      .addHelpText(
        "after",
        ["", "-o wide adds GPU-hours.", "", "Examples:", "  gpupool usage", "  gpupool usage -o json"].join(
          "\n",
        ),
      ),
  ).action(async (opts) => exitWith(await (await import("../client/cluster.js")).usageCommand(opts)));
  withClientFlags(
    program
      .command("tenants")
      .summary("list tenants; admin: create NAME, token NAME, quota NAME, delete NAME")
      .description(
        [
          "Lists tenants, or (admin) creates one, issues it a token, sets its quotas or deletes it.",
          "Each tenant is a scheduler queue. A limit caps what the tenant's placed jobs hold at once; a job " +
            'that would break one waits Pending and says which, e.g. "over quota: queue team-a limit memory ' +
            "65536Mi (uses 61440, asks 8192)\". A guarantee is always available to the tenant: other tenants' " +
            "work above their own guarantee is reclaimed for it. A guarantee may not exceed the limit on the " +
            "same resource.",
          "`tenants quota NAME` replaces ALL of the tenant's quotas: a flag left out means no limit (or no " +
            "guarantee) on that resource, so repeat the ones to keep.",
          "`tenants delete NAME` is refused while the tenant has live jobs (GP_TENANT_HAS_LIVE_JOBS: stop them " +
            "first); otherwise its finished jobs are deleted as `rm` deletes them, its tokens stop working and " +
            "its metered usage goes. The admin tenant cannot be deleted.",
        ].join("\n\n"),
      )
      .argument("[action]", "list (default), create, token, quota or delete")
      .argument("[name]", "tenant name")
      .option("--gpu-limit <gpus>", "quota: GPUs the tenant may hold at once, e.g. 0.5")
      .option(
        "--gpu-memory-limit <bytes>",
        "quota: GPU memory the tenant may hold at once, e.g. 40Gi (a plain number is bytes)",
      )
      .option("--cpu-limit <cpus>", "quota: CPUs the tenant may hold at once, e.g. 4 or 0.5")
      .option(
        "--memory-limit <bytes>",
        "quota: host memory the tenant's containers may hold at once, e.g. 8Gi or 512Mi (a plain number is bytes)",
      )
      .option(
        "--gpu-guarantee <gpus>",
        "quota: GPUs always available to the tenant (others' excess is reclaimed)",
      )
      .option("--gpu-memory-guarantee <bytes>", "quota: GPU memory always available to the tenant, e.g. 20Gi")
      .option("--cpu-guarantee <cpus>", "quota: CPUs always available to the tenant, e.g. 2")
      .option("--memory-guarantee <bytes>", "quota: host memory always available to the tenant, e.g. 4Gi")
      .option("--gpu-seconds <n>", "quota: GPU-seconds the tenant may use in total")
      .option("--active-jobs <n>", "quota: unfinished jobs the tenant may have")
      .option(
        "--max-priority <p>",
        "quota: the highest priority its jobs may ask (a class or an integer; default normal; higher is refused with GP_PRIORITY_FORBIDDEN)",
      )
      .addHelpText(
        "after",
        [
          "",
          "Quantities: GPUs and CPUs as numbers (0.5, 2); memory as 512Mi, 8Gi, 1.5Gi, 10G or bytes. The table",
          "shows them as 1 GPU, 500m CPU, 8 GiB; -o json|yaml as the API stores them (gpuMilli, memoryMiB).",
          "",
          "Examples:",
          "  gpupool tenants create team-a --gpu-limit 2 --memory-limit 64Gi",
          "  gpupool tenants quota team-a --gpu-limit 2 --gpu-guarantee 1 --cpu-limit 16 --cpu-guarantee 4 \\",
          "      --memory-limit 64Gi --memory-guarantee 16Gi",
          "  gpupool tenants token team-a",
          "  gpupool tenants -o wide",
          "  gpupool tenants delete team-a",
        ].join("\n"),
      ),
  ).action(async (action: string | undefined, name: string | undefined, opts) =>
    exitWith(await (await import("../client/tenants.js")).tenantsCommand(action, name, opts)),
  );
};
