import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { completionScript } from "./completion.js";
import { buildProgram } from "./program.js";

/** What bash's completion offers for the words typed so far (the last one being completed). */
function bashComplete(script: string, words: string[]): string[] {
  const cword = words.length - 1;
  const out = execFileSync(
    "bash",
    [
      "-c",
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${cword}; _gpupool; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: "utf8" },
  );
  return out.split("\n").filter(Boolean);
}

describe("gpupool completion", () => {
  const program = buildProgram();

  it("bash: commands, a command's flags and the values of -o, from the program itself", () => {
    const script = completionScript("bash", program);
    expect(bashComplete(script, ["gpupool", "p"])).toEqual(["ps"]);
    expect(bashComplete(script, ["gpupool", "c"]).sort()).toEqual(["compat", "completion"]);
    expect(bashComplete(script, ["gpupool", "logs", "--t"]).sort()).toEqual(["--tail", "--token"]);
    expect(bashComplete(script, ["gpupool", "ps", "-o", ""])).toEqual(["table", "wide", "json", "yaml"]);
    expect(bashComplete(script, ["gpupool", "tenants", "d"])).toEqual(["delete"]);
    expect(bashComplete(script, ["gpupool", "completion", "z"])).toEqual(["zsh"]);
  });

  it("every command is in every shell's script, with its long options", () => {
    for (const shell of ["bash", "zsh", "fish"] as const) {
      const script = completionScript(shell, program);
      for (const cmd of program.commands) {
        expect(script, `${shell}: ${cmd.name()}`).toContain(cmd.name());
        for (const o of cmd.options)
          if (o.long)
            expect(script, `${shell}: ${cmd.name()} ${o.long}`).toContain(
              shell === "fish" ? `-l ${o.long.slice(2)}` : o.long,
            );
      }
    }
  });

  it("zsh and fish quote descriptions: a quote or colon in one cannot end the word", () => {
    const zsh = completionScript("zsh", program);
    expect(zsh).toContain("'demo:walk through gpupool'\\''s scheduling");
    expect(zsh).toContain("http\\://127.0.0.1\\:7878");
    expect(completionScript("fish", program)).toContain("-d 'walk through gpupool\\'s scheduling");
  });
});
