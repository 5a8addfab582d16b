import { Command, CommanderError } from "commander";
import { GpupoolError, isGpupoolError } from "../core/errors.js";
import { COMMANDS } from "./commands/index.js";

/**
 * The CLI entry. Each command module only declares its flags; its work is imported lazily inside
 * the action, so `gpupool --help` stays fast. User errors (GpupoolError) print one line with the
 * stable code and exit with that code's exit status; commander's own argument errors (unknown
 * option, missing argument, unknown command) are GP_INVALID_ARGUMENT the same way (exit 2);
 * anything else is a bug: stack + "please report" (exit 70). docs/errors.md lists the exit codes.
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

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // The help or version text, already printed.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isGpupoolError(err)) {
      process.stderr.write(`gpupool: error[${err.code}]: ${err.message}\n  hint: ${err.hint}\n`);
      return err.exitCode;
    }
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`gpupool: internal error (this is a bug, please report it):\n${stack}\n`);
    return 70;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`gpupool: fatal: ${String(err)}\n`);
    process.exitCode = 70;
  },
);
