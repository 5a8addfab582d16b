import { Command, CommanderError } from "commander";
import { isGpupoolError } from "../core/errors.js";
import { COMMANDS } from "./commands/index.js";

/**
 * The CLI entry. Each command module only declares its flags; its work is imported lazily inside
 * the action, so `gpupool --help` stays fast. User errors (GpupoolError) print one line with the
 * stable code and exit with that code's exit status; anything else is a bug: stack + "please report".
 */
export function buildProgram(): Command {
  const program = new Command("gpupool")
    .description("Share GPUs as isolated container slices: whole GPUs, fractions or MIG instances.")
    .version(process.env.npm_package_version ?? "0.1.0", "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help/version text).
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
