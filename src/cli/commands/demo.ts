import type { Command } from "commander";
import type { RegisterCommand } from "./register.js";

export const registerDemo: RegisterCommand = (program: Command) => {
  program
    .command("demo")
    .summary("walk through gpupool's scheduling on one host with simulated GPUs")
    .description(
      "Runs a scripted stream of jobs (GPU shares, a gang, queues with quotas, priorities and preemption)\n" +
        "through gpupool's scheduler on one host with SIMULATED GPUs and prints every decision. No GPU,\n" +
        "container engine or network is used.",
    )
    .option("--simulate <gpus>", "simulated GPUs, e.g. 4xA100-80GB or 2xH100-80GB,2xT4", "8xA100-80GB")
    .addHelpText(
      "after",
      ["", "Examples:", "  gpupool demo", "  gpupool demo --simulate 2xH100-80GB,2xT4"].join("\n"),
    )
    .action(async (opts: { simulate: string }) => {
      const { runDemo } = await import("../../demo/demo.js");
      runDemo({ simulate: opts.simulate, out: (l) => process.stdout.write(`${l}\n`) });
    })
    .command("render")
    .summary("a render farm that scales with its queue: replicas, queue and frame latency over time")
    .description(
      "Builds a small renderer image from busybox (100 ms a frame, one frame at a time per replica), " +
        "runs it as a service (0..5 replicas, autoscaled on the queue a load generator reports) behind " +
        "its local endpoint on a gpupool server of its own with SIMULATED GPUs and a real engine " +
        "(Podman or Docker), and drives it with 1 client, then 10, then none. Prints replicas, queue " +
        "and frame latency each second, the mean frame latency at peak by replica count, and draws " +
        "the run as an SVG chart. Takes about 40 s.",
    )
    .option("--engine <engine>", "auto, podman or docker", "auto")
    .option("--chart <file>", "where the SVG chart is written", "render-demo.svg")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  gpupool demo render",
        "  gpupool demo render --engine podman --chart /tmp/farm.svg",
      ].join("\n"),
    )
    .action(async (opts: { engine: string; chart: string }) => {
      if (!["auto", "podman", "docker"].includes(opts.engine)) {
        process.stderr.write(
          `gpupool: error[GP_INVALID_ARGUMENT]: --engine ${opts.engine}: give auto, podman or docker\n`,
        );
        process.exit(2);
      }
      const { runRenderDemo } = await import("../../demo/render.js");
      const r = await runRenderDemo({
        engine: opts.engine as "auto" | "podman" | "docker",
        chart: opts.chart,
        out: (l) => process.stdout.write(`${l}\n`),
      });
      process.exitCode = r.failed === 0 && r.scaledToZero ? 0 : 1;
    });
};
