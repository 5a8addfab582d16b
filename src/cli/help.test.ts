import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, walk } from "./program.js";

/** The full --help text of a command, the text added after it included. */
function helpOf(cmd: Command): string {
  let out = "";
  cmd.configureOutput({
    writeOut: (s) => {
      out += s;
    },
  });
  cmd.outputHelp();
  return out;
}

describe("every command's --help", () => {
  const program = buildProgram();
  const commands = walk(program).filter((c) => c !== program);

  // A subcommand's examples run it by its whole path (gpupool demo render).
  const pathOf = (c: Command): string =>
    c.parent && c.parent !== program ? `${pathOf(c.parent)} ${c.name()}` : c.name();
  it.each(commands.map((c) => [pathOf(c), c] as const))(
    "%s has an Examples: section of gpupool commands",
    (name, cmd) => {
      const help = helpOf(cmd);
      expect(help, name).toMatch(/\nExamples:\n/);
      const examples = help
        .split("\nExamples:\n")[1]!
        .split("\n")
        .filter((l) => l.trim() !== "");
      expect(examples.length, name).toBeGreaterThan(0);
      // Each line runs gpupool, or continues the line above (indented further).
      for (const l of examples)
        expect((/^ {2}\S/.test(l) && l.includes("gpupool ")) || /^ {4,}/.test(l), `${name}: ${l}`).toBe(true);
      expect(
        examples.some((l) => l.includes(`gpupool ${name}`)),
        name,
      ).toBe(true);
    },
  );

  it("every command that prints data takes -o with the four formats", () => {
    const printing = [
      "ps",
      "get",
      "events",
      "nodes",
      "usage",
      "tenants",
      "gpus",
      "compat",
      "sim",
      "run",
      "apply",
    ];
    for (const name of printing) {
      const cmd = commands.find((c) => c.name() === name);
      expect(cmd?.options.find((o) => o.long === "--output")?.description, name).toMatch(
        /table.*wide.*json.*yaml/,
      );
    }
  });
});
