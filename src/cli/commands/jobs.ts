import type { Command } from "commander";
import { exitWith, withClientFlags } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

/** ps, get, logs, stop, rm, events: looking at and controlling jobs on a server. */
export const registerJobs: RegisterCommand = (program: Command) => {
  withClientFlags(
    program
      .command("ps")
      .summary("list your jobs")
      .option("-a, --all", "admin: every tenant's jobs")
      .option("--state <states>", "only these states, comma-separated (e.g. Running,Pending)"),
  ).action(async (opts) => exitWith(await (await import("../client/jobs.js")).psCommand(opts)));

  withClientFlags(program.command("get").summary("show one job (YAML by default)").argument("<id>")).action(
    async (id: string, opts) => exitWith(await (await import("../client/jobs.js")).getCommand(id, opts)),
  );

  withClientFlags(
    program
      .command("logs")
      .summary("print a job's logs")
      .argument("<id>")
      .option("-f, --follow", "keep streaming until it exits"),
    false,
  ).action(async (id: string, opts) =>
    exitWith(await (await import("../client/jobs.js")).logsCommand(id, opts)),
  );

  withClientFlags(
    program
      .command("stop")
      .summary("stop jobs gracefully (SIGTERM, grace, SIGKILL)")
      .argument("<ids...>")
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
          "",
          "Examples:",
          "  gpupool stop j-mx6a1b2c3d4e5f60        # graceful, the job's own grace period",
          "  gpupool stop -t 0 j-mx6a1b2c3d4e5f60   # SIGKILL at once",
        ].join("\n"),
      ),
    false,
  ).action(async (ids: string[], opts) =>
    exitWith(await (await import("../client/jobs.js")).stopJobsCommand(ids, opts)),
  );

  withClientFlags(
    program.command("rm").summary("stop jobs if needed and remove their containers").argument("<ids...>"),
    false,
  ).action(async (ids: string[], opts) =>
    exitWith(await (await import("../client/jobs.js")).stopCommand(ids, opts, undefined, true)),
  );

  withClientFlags(
    program.command("events").summary("job events (all of yours, or one job's)").argument("[id]"),
  ).action(async (id: string | undefined, opts) =>
    exitWith(await (await import("../client/jobs.js")).eventsCommand(id, opts)),
  );
};
