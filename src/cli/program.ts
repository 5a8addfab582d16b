import { Command, type CommanderError } from "commander";
import { GpupoolError } from "../core/errors.js";
import { COMMANDS } from "./commands/index.js";

/**
 * The commander program: every command module's flags, and argument errors (unknown option,
 * missing argument, unknown command) turned into GP_INVALID_ARGUMENT, so that main() prints them
 * as it prints every other error.
 */
export function buildProgram(): Command {
  const program = new Command("gpupool")
    .description("Share GPUs as isolated container slices: whole GPUs, fractions or MIG instances.")
    .version(process.env.npm_package_version ?? "0.1.0", "-V, --version")
    // main() prints argument errors as error[GP_INVALID_ARGUMENT] lines; commander prints only help.
    .configureOutput({ outputError: () => {} });
  for (const register of COMMANDS) register(program);
  for (const cmd of walk(program)) cmd.exitOverride((err) => usageError(cmd, err));
  return program;
}

/** The program and every command below it. */
export function walk(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(walk)];
}

/** "gpupool tenants" for a command. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Commander's exit: help and version pass through (exit 0; help shown for a missing command
 * exits 2); an argument error becomes GP_INVALID_ARGUMENT naming the command.
 */
function usageError(cmd: Command, err: CommanderError): never {
  if (err.exitCode === 0 || err.code === "commander.help" || err.code === "commander.helpDisplayed")
    throw err;
  const what = err.message.replace(/^error: /, "").replace(/\n/g, " ");
  throw new GpupoolError("GP_INVALID_ARGUMENT", `${commandPath(cmd)}: ${what}`);
}
