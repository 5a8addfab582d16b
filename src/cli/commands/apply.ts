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
      .option("-w, --wait", "stream the logs and exit with the job's exit code"),
  ).action(async (opts) => {
    const { applyCommand } = await import("../client/jobs.js");
    exitWith(await applyCommand(opts.file, opts));
  });
};
