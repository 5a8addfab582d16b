import { CommanderError } from "commander";
import { isGpupoolError } from "../core/errors.js";
import { buildProgram } from "./program.js";

/**
 * The CLI entry. Each command module only declares its flags; its work is imported lazily inside
 * the action, so `gpupool --help` stays fast. User errors (GpupoolError) print one line with the
 * stable code and exit with that code's exit status; commander's own argument errors (unknown
 * option, missing argument, unknown command) are GP_INVALID_ARGUMENT the same way (exit 2);
 * anything else is a bug: stack + "please report" (exit 70). docs/errors.md lists the exit codes.
 */
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

// `gpupool … | head` closes the pipe early: that ends the output, it is not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
  });

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`gpupool: fatal: ${String(err)}\n`);
    process.exitCode = 70;
  },
);
