import { Argument, type Command } from "commander";
import type { RegisterCommand } from "./register.js";

export const registerCompletion: RegisterCommand = (program: Command) => {
  program
    .command("completion")
    .summary("print a shell completion script (bash, zsh or fish)")
    .description(
      "Prints a completion script for gpupool's commands, their flags and the values of some (-o formats,\n" +
        "engines, tenants' actions), generated from this gpupool's own commands.",
    )
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  source <(gpupool completion bash)          # this shell; add it to ~/.bashrc to keep it",
        "  gpupool completion zsh > ~/.zfunc/_gpupool    # with fpath=(~/.zfunc $fpath) before compinit",
        "  gpupool completion fish > ~/.config/fish/completions/gpupool.fish",
      ].join("\n"),
    )
    .action(async (shell: "bash" | "zsh" | "fish", _opts: unknown, cmd: Command) => {
      const { completionScript } = await import("../completion.js");
      process.stdout.write(completionScript(shell, cmd.parent ?? cmd));
    });
};
