import type { Command } from "commander";
import { exitWith, OUTPUT_FLAG, OUTPUT_HELP } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

export const registerGpus: RegisterCommand = (program: Command) => {
  program
    .command("gpus")
    .summary("show this host's GPUs: models, memory, MIG layout, NVLink groups and who uses what")
    .description(
      [
        "Lists the GPUs nvidia-smi reports (or simulated ones with --simulate, or a saved `nvidia-smi -q -x`",
        "document with --nvidia-smi-xml): memory, utilisation, MIG mode and devices, NVLink groups, and the",
        "processes on each GPU with the container they run in. Simulated GPUs are marked as such.",
        "Saved `topo -m`, `-L` and `mig -lgi/-lci/-lgip` outputs are merged into a saved -q -x, or shown on",
        "their own without one. A line that cannot be read is skipped with a warning; the rest is used.",
      ].join("\n"),
    )
    .option("--simulate <gpus>", "simulate GPUs from the catalog, e.g. 2xH100-80GB,1xT4")
    .option(
      "--nvidia-smi-xml <file>",
      "read a saved `nvidia-smi -q -x` document instead of running nvidia-smi",
    )
    .option("--nvidia-smi-topo <file>", "read a saved `nvidia-smi topo -m` matrix")
    .option("--nvidia-smi-list <file>", "read a saved `nvidia-smi -L` listing")
    .option(
      "--nvidia-smi-mig <file>",
      "read saved `nvidia-smi mig -lgip`, `-lgipp`, `-lgi` and/or `-lci` listings (one after the other)",
    )
    .option("--timeout <ms>", "deadline for each nvidia-smi call in milliseconds", "15000")
    .option("--catalog", "list the GPU models gpupool knows (for --simulate and model constraints)")
    .option("--json", 'the same as -o json: {"gpus":[…],"nvlinkGroups":[…],"simulated",…}')
    .option(OUTPUT_FLAG, OUTPUT_HELP)
    .addHelpText(
      "after",
      [
        "",
        "Memory is in GiB in the table; -o json|yaml keep MiB.",
        "",
        "Examples:",
        "  gpupool gpus",
        "  gpupool gpus --simulate 2xH100-80GB,1xT4 -o json",
        "  gpupool gpus --catalog",
        "  gpupool gpus --nvidia-smi-xml q.xml --nvidia-smi-topo topo.txt --nvidia-smi-list L.txt",
        "  gpupool gpus --nvidia-smi-topo topo.txt --json",
      ].join("\n"),
    )
    .action(async (opts) => exitWith(await (await import("../client/gpus.js")).gpusCommand(opts)));
};
