import type { Command } from "commander";

/** -o/--output, on every command that prints data (see client/output.ts). */
export const OUTPUT_FLAG = "-o, --output <format>";
export const OUTPUT_HELP = "table (default), wide (more columns), json or yaml";

export function withOutputFlag(cmd: Command): Command {
  return cmd.option(OUTPUT_FLAG, OUTPUT_HELP);
}

/** --server, --token, --config and -o on every command that talks to a gpupool server. */
export function withClientFlags(cmd: Command, output = true): Command {
  cmd
    .option("--server <url>", "gpupool server (env GPUPOOL_SERVER; default http://127.0.0.1:7878)")
    .option("--token <token>", "API token (env GPUPOOL_TOKEN)")
    .option(
      "--config <file>",
      "config file with server: and token: (default ~/.config/gpupool/config.yaml; `gpupool login` writes it)",
    );
  return output ? withOutputFlag(cmd) : cmd;
}

/** Sets the exit code a command's work returned. */
export function exitWith(code: number): void {
  if (code !== 0) process.exitCode = code;
}
