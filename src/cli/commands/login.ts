import type { Command } from "commander";
import { exitWith } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

export const registerLogin: RegisterCommand = (program: Command) => {
  program
    .command("login")
    .summary("check a server and token, and save them in the config file the other commands read")
    .description(
      "Asks the server who the token belongs to (GET /v1/info), then writes server: and token: into the\n" +
        "config file (default ~/.config/gpupool/config.yaml, or $GPUPOOL_CONFIG; other keys are kept),\n" +
        "readable by you only (mode 0600). Nothing is written if the server or the token is refused.\n" +
        "Flags and GPUPOOL_SERVER/GPUPOOL_TOKEN still win over the file.",
    )
    .option("--server <url>", "gpupool server (default: GPUPOOL_SERVER, else http://127.0.0.1:7878)")
    .option("--token <token>", "API token (default: GPUPOOL_TOKEN)")
    .option("--config <file>", "the config file to write")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  gpupool login --server http://127.0.0.1:7878 --token gp_…",
        '  gpupool login --config ./gpupool.yaml --token "$TEAM_A_TOKEN"',
      ].join("\n"),
    )
    .action(async (opts) => exitWith(await (await import("../client/login.js")).loginCommand(opts)));
};
