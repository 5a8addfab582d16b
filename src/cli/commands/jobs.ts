import type { Command } from "commander";
import { GpupoolError } from "../../core/errors.js";
import { exitWith, wantsK8s, withClientFlags, withK8sFlags } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

/** How every command that takes a job names it, like docker. */
const JOB_REF = "job id, name (a gang's: all its members; an array's: the array) or unique id prefix";

/** ps, get, logs, stop, rm, events: looking at and controlling jobs on a server. */
export const registerJobs: RegisterCommand = (program: Command) => {
  withK8sFlags(
    withClientFlags(
      program
        .command("ps")
        .summary("list your live jobs (-a: all of them)")
        .description(
          "List your live jobs: every state but Succeeded, Failed and Cancelled (a job retried under its restart policy is Pending again, so live). -a lists finished jobs too, until `gpupool rm` deletes them.",
        )
        .option("-a, --all", "all jobs, finished ones too")
        .option("-A, --all-tenants", "admin: every tenant's jobs (with --k8s: every namespace's pods)")
        .option("-n, --namespace <ns>", "with --k8s: the namespace's GPU pods (default: default)")
        .option("--state <states>", "only these states, comma-separated (e.g. Running,Pending)")
        .option(
          "-w, --watch",
          "print the list again whenever it changes (redrawn on a terminal) until Ctrl-C",
        )
        .addHelpText(
          "after",
          [
            "",
            "The table shows GPU requests in human units (1 GPU, 25% 10 GiB, 1g.10gb); -o wide adds the node,",
            "the GPUs held, CPU, memory, image, exit code and creation time (local); -o json|yaml print the API's",
            "jobs as they are (ISO-8601 UTC times, MiB and milli units).",
            "",
            "With --k8s (or --kubeconfig) it lists a Kubernetes cluster's GPU pods instead (schedulerName: gpupool, or",
            "asking for a gpupool.dev or nvidia.com/gpu resource): phase, request, node and the slice each holds;",
            "-o wide adds queue, priority, CPU, memory, scheduler and why a pod waits or holds no slice.",
            "",
            "Examples:",
            "  gpupool ps",
            "  gpupool ps -a -o wide",
            "  gpupool ps -a -o json",
            "  gpupool ps -A --state Running",
            "  gpupool ps --watch",
            "  gpupool ps --k8s -A -o wide",
          ].join("\n"),
        ),
    ),
  ).action(async (opts) => {
    if (opts.namespace !== undefined && !wantsK8s(opts))
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        "-n/--namespace goes with --k8s (a gpupool server has tenants: -A)",
      );
    exitWith(
      wantsK8s(opts)
        ? await (await import("../client/k8s-views.js")).k8sPsCommand({
            ...opts,
            allNamespaces: opts.allTenants,
          })
        : await (await import("../client/job-views.js")).psCommand(opts),
    );
  });

  withClientFlags(
    program
      .command("arrays")
      .summary("list your batch arrays with their progress (-a: ended ones too)")
      .option("-a, --all", "ended arrays too")
      .option("-A, --all-tenants", "admin: every tenant's arrays")
      .addHelpText(
        "after",
        [
          "",
          "PROGRESS counts indexes: done (#), failed (!), running (>) and pending (.); a packed task's",
          "indexes share its job's state. -o wide adds the indexes, the tasks and the tenant.",
          "",
          "Examples:",
          "  gpupool arrays",
          "  gpupool arrays -a -o wide",
          "  gpupool arrays -o json",
        ].join("\n"),
      ),
  ).action(async (opts) => exitWith(await (await import("../client/arrays.js")).arraysCommand(opts)));

  withClientFlags(
    program
      .command("services")
      .summary("list your services with their replicas (-a: stopped ones too)")
      .option("-a, --all", "stopped services too")
      .option("-A, --all-tenants", "admin: every tenant's services")
      .addHelpText(
        "after",
        [
          "",
          "A service is a job spec with `service:` (gpupool apply -f web.yaml): replicas kept running,",
          "each serving on its own $PORT, behind one endpoint http://127.0.0.1:PORT that spreads",
          "requests over the ready ones. READY is ready/desired; UP-TO-DATE counts replicas of the",
          "current spec (a rolling update: apply the changed spec again). METRIC is the autoscaler's.",
          "",
          "Examples:",
          "  gpupool services",
          "  gpupool services -a -o wide",
          "  gpupool get web              # one service, as YAML",
          "  gpupool stop web             # drain and stop its replicas",
        ].join("\n"),
      ),
  ).action(async (opts) => exitWith(await (await import("../client/services.js")).servicesCommand(opts)));

  withClientFlags(
    program
      .command("scale")
      .summary("set how many replicas a service runs")
      .argument("<service>", "the service's name or id")
      .argument("<replicas>", "replicas wanted now (0 stops them all but keeps the service)")
      .addHelpText(
        "after",
        [
          "",
          "With autoscale, the count must lie within minReplicas..maxReplicas, and the autoscaler goes",
          "on from it after its cooldown.",
          "",
          "Examples:",
          "  gpupool scale web 3",
          "  gpupool scale web 0",
        ].join("\n"),
      ),
  ).action(async (ref: string, count: string, opts) =>
    exitWith(await (await import("../client/services.js")).scaleCommand(ref, count, opts)),
  );

  withClientFlags(
    program
      .command("get")
      .summary("show one job (YAML by default; -o table for a row, as ps prints it)")
      .argument("<job>", JOB_REF)
      .addHelpText(
        "after",
        [
          "",
          "Examples:",
          "  gpupool get train",
          "  gpupool get j-mx6a -o json",
          "  gpupool get train -o wide",
        ].join("\n"),
      ),
  ).action(async (ref: string, opts) =>
    exitWith(await (await import("../client/job-views.js")).getCommand(ref, opts)),
  );

  withClientFlags(
    program
      .command("logs")
      .summary("print a job's logs (-f follows, --tail N, --since 10m, --rank N)")
      .argument("<job>", `${JOB_REF}; a gang's name: every member's lines, prefixed [rank N]`)
      .option("-f, --follow", "keep streaming until it exits")
      .option("--tail <lines>", 'only the last N lines (then, with -f, the new ones); "all" (default)')
      .option(
        "--since <when>",
        "only lines logged since a duration ago (90s, 10m, 1h30m, 2d), a Unix time or a date (2026-12-02T10:00:00Z; no zone: local)",
      )
      .option("--rank <n>", "a gang: only this member's lines")
      .addHelpText(
        "after",
        [
          "",
          "stdout lines go to stdout and stderr lines to stderr, as the job wrote them.",
          "",
          "Examples:",
          "  gpupool logs train                   # a gang: [rank 0] …, [rank 1] …",
          "  gpupool logs -f --tail 20 train",
          "  gpupool logs --since 10m --rank 1 train",
        ].join("\n"),
      ),
    false,
  ).action(async (ref: string, opts) =>
    exitWith(await (await import("../client/logs.js")).logsCommand(ref, opts)),
  );

  withClientFlags(
    program
      .command("stop")
      .summary("stop jobs gracefully (SIGTERM, grace, SIGKILL)")
      .argument("<jobs...>", JOB_REF)
      .option(
        "-t, --time <seconds>",
        "seconds between SIGTERM and SIGKILL (default: the job's stopGraceSeconds, 10)",
      )
      .addHelpText(
        "after",
        [
          "",
          "A pending job is cancelled at once; a placed one gets SIGTERM, then SIGKILL once the grace period is",
          "over, and ends Cancelled. stop waits for them all, printing what it still waits for every 3 s.",
          "A batch array's name stops the array: it makes no more tasks, and its live ones are stopped.",
          "",
          "Examples:",
          "  gpupool stop j-mx6a1b2c3d4e5f60        # graceful, the job's own grace period",
          "  gpupool stop -t 0 j-mx6a1b2c3d4e5f60   # SIGKILL at once",
        ].join("\n"),
      ),
    false,
  ).action(async (refs: string[], opts) =>
    exitWith(await (await import("../client/jobs.js")).stopCommand(refs, opts)),
  );

  withClientFlags(
    program
      .command("rm")
      .summary("delete finished jobs: record, events, logs and container (-f: stop live ones first)")
      .description(
        "Delete finished jobs (Succeeded, Failed, Cancelled): the job, its events, its logs and its container; its metered GPU time stays on the tenant. A live job is refused unless -f, which stops it first. Deleted jobs are gone from `ps -a` and `get`.",
      )
      .argument("<jobs...>", JOB_REF)
      .option("-f, --force", "stop a live job first, then delete it")
      .addHelpText(
        "after",
        "\nA batch array's name deletes the ended array with all its tasks.\n\nExamples:\n  gpupool rm train\n  gpupool rm -f j-mx6a\n  gpupool rm frames          # an array and its tasks",
      ),
    false,
  ).action(async (refs: string[], opts) =>
    exitWith(await (await import("../client/jobs.js")).rmCommand(refs, opts)),
  );

  withClientFlags(
    program
      .command("events")
      .summary("job events (all of yours, or one job's); -f follows them")
      .argument("[job]", JOB_REF)
      .option("-f, --follow", "keep printing new events until Ctrl-C")
      .addHelpText(
        "after",
        [
          "",
          "Times are local in the table (ISO-8601 UTC with -o json|yaml); -o wide adds each event's sequence",
          "number. With -f, -o json prints one JSON object per line and -o yaml one document per event.",
          "",
          "Examples:",
          "  gpupool events",
          "  gpupool events train -o yaml",
          "  gpupool events -f",
        ].join("\n"),
      ),
  ).action(async (ref: string | undefined, opts) =>
    exitWith(await (await import("../client/job-views.js")).eventsCommand(ref, opts)),
  );
};
