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
    });
};
