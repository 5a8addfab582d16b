import type { Command } from "commander";
import { exitWith, withClientFlags } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export const registerRun: RegisterCommand = (program: Command) => {
  withClientFlags(
    program
      .command("run")
      .summary("run a container job on a GPU slice (like docker run)")
      .argument("<image>", "image, e.g. localhost/busybox:latest")
      .argument(
        "[command...]",
        "command and arguments (default: the image's CMD); put -- before a command with flags",
      )
      .option(
        "--name <name>",
        "job name, unique among your live jobs; commands take it instead of the id (default: image name + random suffix)",
      )
      .option(
        "--cpu <cpu>",
        "CPU to reserve and limit the job to, e.g. 500m or 2 (default: no reservation, no limit)",
      )
      .option(
        "--memory <mem>",
        "memory to reserve and limit the job to, e.g. 512Mi (default: no reservation, no limit)",
      )
      .option("--gpu <share>", "a share of one GPU, e.g. 0.25")
      .option("--gpu-memory <mem>", "GPU memory of the share, e.g. 10Gi")
      .option("--gpus <n>", "whole GPUs")
      .option("--mig <profile>", "a MIG instance, e.g. 1g.10gb")
      .option("--gpu-model <model>", "allowed GPU model (repeatable)", collect)
      .option("-e, --env <KEY=VALUE>", "environment variable (repeatable)", collect)
      .option("--priority <p>", "high, normal, low, best-effort, system-critical or an integer")
      .option("--isolation <level>", "container (runc), sandbox (gVisor runsc) or vm")
      .option("--replicas <n>", "a gang of N members, placed all-or-nothing")
      .option(
        "--array <indexes>",
        "a batch array: run once per index, e.g. 0-999, 1,3,5-9 or 0-30:10; %N caps the tasks at once (0-999%8)",
      )
      .option(
        "--pack <k>",
        "an array: K indexes per container, run one after another (GPUPOOL_ARRAY_INDEXES)",
      )
      .option("--restart <policy>", "never or on-failure (an array: per task)")
      .option("--timeout <seconds>", "stop the job after this many seconds")
      .option("--request-id <id>", "idempotency key: resubmitting with it returns the same job")
      .option("-w, --wait", "stream the logs and exit with the job's exit code (Ctrl-C stops the job)")
      .option("-d, --detach", "print the job id and return at once (the default without --wait)")
      .addHelpText(
        "after",
        [
          "",
          "With --wait, Ctrl-C stops the job gracefully (SIGTERM, then SIGKILL after its grace period) and",
          "waits for it to end (exit 130 once it is Cancelled); a second Ctrl-C detaches at once and prints how",
          "to follow the job (gpupool logs -f ID). Without --wait (or with -d) run prints the id and returns.",
          "",
          "With --array each task gets GPUPOOL_ARRAY_INDEX (and JOB_COMPLETION_INDEX, as Kubernetes names it);",
          "with --pack K one container runs K indexes, listed in GPUPOOL_ARRAY_INDEXES, so many short tasks",
          "pay one container start. run --array --wait draws the array's progress and exits 1 if any index",
          "failed (Ctrl-C stops the array); `gpupool arrays` lists arrays; get, stop and rm take an array's name.",
          "",
          "Examples:",
          "  gpupool run --gpu 0.25 --gpu-memory 10Gi localhost/busybox:latest -- sh -c 'echo $CUDA_VISIBLE_DEVICES'",
          "  gpupool run --wait --gpus 1 localhost/busybox:latest -- sh -c 'echo hello'",
          "  gpupool run -d --replicas 2 --gpus 1 localhost/busybox:latest -- sh -c 'echo rank $RANK'",
          "  gpupool run --wait --name frames --array 0-999%8 --gpu 0.25 --restart on-failure localhost/busybox:latest -- sh -c 'echo frame $GPUPOOL_ARRAY_INDEX'",
          "  gpupool run -d --array 0-999%8 --pack 50 --gpu 0.25 localhost/busybox:latest -- sh -c 'for i in $GPUPOOL_ARRAY_INDEXES; do echo $i; done'",
        ].join("\n"),
      ),
  ).action(async (image: string, command: string[], opts) => {
    const { runCommand } = await import("../client/jobs.js");
    exitWith(await runCommand(image, command, opts));
  });
};
