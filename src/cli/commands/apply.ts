import type { Command } from "commander";
import { exitWith, withClientFlags } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

export const registerApply: RegisterCommand = (program: Command) => {
  withClientFlags(
    program
      .command("apply")
      .summary("submit job specs from a YAML or JSON file")
      .requiredOption("-f, --file <file>", "spec file (several YAML documents allowed; - for stdin)")
      .option(
        "--name <name>",
        "the job's name, instead of the spec's (a file of one spec); unique among your live jobs",
      )
      .option("--request-id <id>", "idempotency key")
      .option("-w, --wait", "stream the logs and exit with the job's exit code")
      .addHelpText(
        "after",
        [
          "",
          "Without --wait it prints each job's id, name and state (-o json|yaml: the jobs); with --wait it exits",
          "as run --wait does (docs/errors.md, Exit codes).",
          "",
          "Examples:",
          "  gpupool apply -f job.yaml",
          "  gpupool apply -f jobs.yaml -o json",
          "  cat job.yaml | gpupool apply -f - --name train-2 --wait",
        ].join("\n"),
      ),
  ).action(async (opts) => {
    const { applyCommand } = await import("../client/jobs.js");
    exitWith(await applyCommand(opts.file, opts));
  });
};
