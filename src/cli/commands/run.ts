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
      .option("--cpu <cpu>", "CPU limit, e.g. 500m or 2 (default 1)")
      .option("--memory <mem>", "memory limit, e.g. 512Mi (default 512Mi)")
      .option("--gpu <share>", "a share of one GPU, e.g. 0.25")
      .option("--gpu-memory <mem>", "GPU memory of the share, e.g. 10Gi")
      .option("--gpus <n>", "whole GPUs")
      .option("--mig <profile>", "a MIG instance, e.g. 1g.10gb")
      .option("--gpu-model <model>", "allowed GPU model (repeatable)", collect)
      .option("-e, --env <KEY=VALUE>", "environment variable (repeatable)", collect)
      .option("--priority <p>", "high, normal, low, best-effort, system-critical or an integer")
      .option("--isolation <level>", "container (runc), sandbox (gVisor runsc) or vm")
      .option("--replicas <n>", "a gang of N members, placed all-or-nothing")
      .option("--restart <policy>", "never or on-failure")
      .option("--timeout <seconds>", "stop the job after this many seconds")
      .option("--request-id <id>", "idempotency key: resubmitting with it returns the same job")
      .option("-w, --wait", "stream the logs and exit with the job's exit code"),
  ).action(async (image: string, command: string[], opts) => {
    const { runCommand } = await import("../client/jobs.js");
    exitWith(await runCommand(image, command, opts));
  });
};
