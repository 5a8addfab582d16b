import { type Command, Option } from "commander";
import { exitWith, OUTPUT_FLAG, OUTPUT_HELP } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

export const registerSim: RegisterCommand = (program: Command) => {
  program
    .command("sim")
    .summary("replay a GPU cluster trace through the scheduler and report GPU allocation")
    .description(
      [
        "Replays an Alibaba cluster-trace-gpu-v2023 trace through gpupool's scheduler following the FGD",
        "paper's protocol (workload tuned to 130 % of the cluster's GPUs per seed, random node order per run,",
        "no departures) and reports the allocated GPU % when the arrived workload reaches 100 % and 130 %.",
        "With fgd and default both given, it also prints default − fgd unallocated % per workload and",
        "statistics mode, paired by seed, with its standard error.",
        "",
        "Policies: random, dotprod, clustering, packing, bestfit, fgd (the paper's), binpack, spread, and",
        "default (gpupool's own). The trace is not shipped; see docs/scheduling.md for where to get it.",
      ].join("\n"),
    )
    .option("--nodes <csv>", "node list CSV (openb_node_list_gpu_node.csv)")
    .option("--pods <csv>", "pod list CSV (openb_pod_list_*.csv)")
    .option(
      "--trace-dir <dir>",
      "folder holding the trace CSVs (used when --nodes/--pods are not given); default $GPUPOOL_TRACE_DIR or ../shared/traces/alibaba-gpu-v2023",
    )
    .option(
      "--workload <list>",
      "pod list(s) in --trace-dir, comma-separated: default, cpu100, gpushare40, gpuspec20, multigpu20, …",
      "default",
    )
    .option(
      "--stats <mode>",
      "where fgd/default learn the typical pod shapes: online (from the pods seen so far, as the server does) or oracle (from the whole pod list beforehand: the FGD paper's protocol); both: oracle,online",
      "online",
    )
    .option("--policy <list>", "policy or comma-separated policies", "default")
    .option("--seeds <range>", "seeds: 42-51, 42,43 or 42", "42")
    .option("--tune <factor>", "grow the workload to this multiple of the cluster's GPUs", "1.3")
    .option(
      "--policy-args <json>",
      "score-plugin arguments for fgd/default, e.g. '{\"strandWeight\":0.5}' (see docs/scheduling.md)",
    )
    .option(
      "--json",
      "the same as -o json: the machine-readable result (one object; an array for several policies)",
    )
    .option(OUTPUT_FLAG, OUTPUT_HELP)
    .option(
      "--plot <file.svg>",
      "write an SVG of unallocated % against arrived % (median over seeds) per policy",
    )
    .addOption(new Option("--no-progress", "no progress bar on stderr"))
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  gpupool sim --policy fgd,default --seeds 42-51",
        "  gpupool sim --stats oracle --policy fgd,default --seeds 42-51      # the paper's protocol",
        "  gpupool sim --workload default,cpu100,gpushare40,gpuspec20,multigpu20 --stats oracle,online \\",
        "      --policy fgd,default --seeds 42-51",
        "  gpupool sim --nodes nodes.csv --pods pods.csv --policy fgd --seeds 42-51 -o json",
        "  gpupool sim --policy random,bestfit,fgd,default --seeds 42-44 --plot frag.svg",
      ].join("\n"),
    )
    .action(async (opts) => exitWith(await (await import("../client/sim.js")).simCommand(opts)));
};
